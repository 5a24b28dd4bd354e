import type { FastifySchemaCompiler } from 'fastify';
import { z } from 'zod';
import { CASE_COMMAND_TYPES, ZCaseCommand } from '../../workflows/cases/case-commands.js';
import { CASE_RATINGS, CASE_STATUSES } from '../../workflows/cases/case-status.js';
import { INBOX_VIEWS } from '../inbox/inbox-query.js';

const isoDate = z.string().describe('ISO 8601, giờ Hà Nội (+07:00)');

/** A case as machine clients read it: the case's own fields, never the contact's details. */
export const ZApiCase = z.object({
  id: z.number().int(),
  code: z.string(),
  status: z.enum(CASE_STATUSES),
  version: z.number().int().describe('Gửi lại trong expectedVersion khi thao tác (khóa lạc quan)'),
  channel: z.string(),
  contactKind: z.enum(['citizen', 'business']),
  categoryId: z.number().int().nullable(),
  priority: z.enum(['normal', 'urgent', 'complex']),
  title: z.string().nullable(),
  description: z.string(),
  address: z.string().nullable(),
  areaUnitId: z.number().int().nullable(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  responsibleUnitId: z.number().int().nullable(),
  assigneeId: z.number().int().nullable(),
  receivedAt: isoDate,
  triageDueAt: isoDate.nullable(),
  acceptDueAt: isoDate.nullable(),
  answerDueAt: isoDate.nullable(),
  answeredAt: isoDate.nullable(),
  answeredOnTime: z.boolean().nullable(),
  answerText: z.string().nullable(),
  closedAt: isoDate.nullable(),
  rating: z.enum(CASE_RATINGS).nullable(),
  publishedAt: isoDate.nullable(),
  updatedAt: isoDate,
});
export type TApiCase = z.infer<typeof ZApiCase>;

export const ZApiCaseList = z.object({
  items: ZApiCase.array(),
  nextAfter: z.number().int().nullable().describe('Truyền vào tham số after để lấy trang tiếp theo; null ở trang cuối'),
});

export const ZApiCaseDetail = z.object({
  case: ZApiCase.extend({ coUnitIds: z.array(z.number().int()) }),
  allowedCommands: z.array(z.enum(CASE_COMMAND_TYPES as [string, ...string[]])).describe('Các thao tác tài khoản được phép thực hiện lúc này'),
});

/** The inbox's filters, for machines: the same names and meanings as /console/inbox. */
export const ZApiCaseListQuery = z.object({
  view: z.enum(INBOX_VIEWS).optional(),
  status: z.enum(CASE_STATUSES).optional(),
  categoryId: z.coerce.number().int().positive().optional(),
  areaUnitId: z.coerce.number().int().positive().optional(),
  contactKind: z.enum(['citizen', 'business']).optional(),
  from: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional().describe('Ngày tiếp nhận từ (YYYY-MM-DD, giờ Hà Nội)'),
  to: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional().describe('Ngày tiếp nhận đến hết ngày (YYYY-MM-DD)'),
  q: z.string().trim().max(200).optional(),
  after: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const ZApiCaseParams = z.object({ id: z.coerce.number().int().positive() });

export const ZApiCommandBody = z.object({
  command: ZCaseCommand,
  expectedVersion: z.number().int().positive(),
});

export const ZApiError = z.object({
  error: z.string(),
  message: z.string(),
  details: z.unknown().optional(),
});

/**
 * A route's validatorCompiler when its schema is there for the OpenAPI document only: the handler parses the
 * input itself, after the token check, to name refused fields in Vietnamese.
 */
export const DOCUMENTED_ONLY: FastifySchemaCompiler<unknown> = () => (data) => ({ value: data });
