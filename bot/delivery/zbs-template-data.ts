import type { TZaloTemplateData } from '../zalo/api-client.js';

/** Routing and ordering fields of a notification, never shown to a person. */
const INTERNAL_FIELDS = new Set(['seq', 'caseId', 'fallback']);

function toParamValue(value: unknown): string | number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') return value.trim() === '' ? undefined : value;
  return undefined;
}

/**
 * The `template_data` of a ZBS template message from a notification's data. With `params` (from
 * ZALO_ZBS_TEMPLATE_IDS) each template parameter takes the named field; without, every text or number field
 * goes under its own name (caseCode, statusLabel, answerDueDate…). Empty and non-scalar values are left out:
 * Zalo names a missing parameter in its answer, which is clearer than an empty one going out.
 */
export function buildZbsTemplateData(data: Record<string, unknown>, params?: Record<string, string>): TZaloTemplateData {
  const out: TZaloTemplateData = {};
  if (params) {
    for (const [param, field] of Object.entries(params)) {
      const value = toParamValue(data[field]);
      if (value !== undefined) out[param] = value;
    }
    return out;
  }
  for (const [field, raw] of Object.entries(data)) {
    if (INTERNAL_FIELDS.has(field)) continue;
    const value = toParamValue(raw);
    if (value !== undefined) out[field] = value;
  }
  return out;
}
