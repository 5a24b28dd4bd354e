import { z } from 'zod';

/** GeoReport v2 field names (wiki.open311.org/GeoReport_v2; ANCHORS.md §1.1), as the spec spells them. */
export const ZOpen311Service = z.object({
  service_code: z.string(),
  service_name: z.string(),
  description: z.string(),
  metadata: z.boolean(),
  type: z.enum(['realtime', 'batch', 'blackbox']),
  keywords: z.string(),
  group: z.string(),
});
export type TOpen311Service = z.infer<typeof ZOpen311Service>;

export const ZOpen311Request = z.object({
  service_request_id: z.string(),
  status: z.enum(['open', 'closed']),
  status_notes: z.string().nullable(),
  service_name: z.string().nullable(),
  service_code: z.string().nullable(),
  description: z.string().nullable(),
  agency_responsible: z.string().nullable(),
  service_notice: z.string().nullable(),
  requested_datetime: z.string(),
  updated_datetime: z.string(),
  expected_datetime: z.string().nullable(),
  address: z.string().nullable(),
  lat: z.number().nullable(),
  long: z.number().nullable(),
});
export type TOpen311Request = z.infer<typeof ZOpen311Request>;

export const ZOpen311Error = z.array(z.object({ code: z.number().int(), description: z.string() }));

const commaList = z
  .string()
  .max(2000)
  .transform((v) => v.split(',').map((s) => s.trim()).filter((s) => s !== ''));

export const ZOpen311RequestsQuery = z.object({
  jurisdiction_id: z.string().max(200).optional(),
  service_request_id: commaList.optional(),
  service_code: commaList.optional(),
  status: commaList.pipe(z.array(z.enum(['open', 'closed']))).optional(),
  start_date: z.iso.datetime({ offset: true, local: true }).or(z.iso.date()).optional(),
  end_date: z.iso.datetime({ offset: true, local: true }).or(z.iso.date()).optional(),
});
export type TOpen311RequestsQuery = z.infer<typeof ZOpen311RequestsQuery>;

export const ZOpen311ServicesQuery = z.object({ jurisdiction_id: z.string().max(200).optional() });
export const ZOpen311RequestParams = z.object({ id: z.string().min(1).max(40) });
