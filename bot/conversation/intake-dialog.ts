import { foldVietnamese } from '../../workflows/text/fold-vietnamese.js';
import { buttonMessages, queryButton, type OutgoingMessage } from './outgoing.js';
import type { PlaceMatcher, PlaceUnit } from './place-matcher.js';

export const CONSENT_VERSION = 'pakn-zalo-2026-01';
export const MIN_DESCRIPTION_LENGTH = 20;
export const MAX_PHOTOS = 5;

export type IntakeStep = 'kind' | 'company' | 'tax_code' | 'category' | 'place' | 'description' | 'photos' | 'contact' | 'consent' | 'confirm';

export interface IntakePhoto {
  kind: string;
  url: string;
  name?: string;
  size?: number;
}

export interface IntakeState {
  step: IntakeStep;
  kind?: 'citizen' | 'business';
  companyName?: string;
  taxCode?: string;
  categoryId?: number;
  categoryName?: string;
  address?: string;
  latitude?: number;
  longitude?: number;
  areaUnitId?: number;
  areaName?: string;
  description?: string;
  photos: IntakePhoto[];
  contactName?: string;
  phone?: string;
  consentVersion?: string;
  consentAt?: string;
}

export type UserInput =
  | { type: 'text'; text: string }
  | { type: 'location'; latitude: number; longitude: number }
  | { type: 'media'; attachments: IntakePhoto[] }
  | { type: 'contact_info'; name?: string; phone?: string; address?: string; ward?: string };

export interface IntakeContext {
  categories: Array<{ id: number; name: string }>;
  places: PlaceMatcher;
  /** The contact saved from an earlier case, offered again instead of asking. */
  knownContact?: { name: string; phone: string };
  say(template: string, data?: Record<string, unknown>): string;
  now: Date;
}

export interface IntakeResult {
  state: IntakeState;
  replies: OutgoingMessage[];
  /** The citizen confirmed: the state is complete and the case can be created. */
  submit?: boolean;
  /** The dialog ended without a case. */
  end?: boolean;
}

/** Button payloads: what a tapped `oa.query.hide` button sends back as the user's message. */
export const PAYLOAD = {
  kindCitizen: '#loai:nguoi-dan',
  kindBusiness: '#loai:doanh-nghiep',
  category: (id: number) => `#linh-vuc:${id}`,
  ward: (id: number) => `#phuong-xa:${id}`,
  photosDone: '#anh:xong',
  photosSkip: '#anh:bo-qua',
  contactKnown: '#lien-he:da-luu',
  consentYes: '#dong-y',
  consentNo: '#khong-dong-y',
  confirm: '#gui-phan-anh',
  cancel: '#huy',
} as const;

const PHONE_RE = /(?:\+?84|0)(?:[\s.-]?\d){9}/;

/** Vietnamese mobile numbers: 10 digits starting 03/05/07/08/09, or the same with +84/84. */
export function normalizeVietnamesePhone(input: string): string | null {
  const digits = input.replace(/[\s.-]/g, '').replace(/^\+/, '');
  const local = digits.startsWith('84') && digits.length === 11 ? `0${digits.slice(2)}` : digits;
  return /^0(3|5|7|8|9)\d{8}$/.test(local) ? local : null;
}

export function maskPhone(phone: string): string {
  return phone.length >= 7 ? `${phone.slice(0, 3)}****${phone.slice(-3)}` : '***';
}

/** What a case can carry as evidence: photos and documents (the attachment job keeps images, PDF and Word). */
const EVIDENCE_KINDS = new Set(['image', 'file']);

function evidenceOf(attachments: IntakePhoto[]): IntakePhoto[] {
  return attachments.filter((a) => EVIDENCE_KINDS.has(a.kind));
}

function isTaxCode(text: string): boolean {
  return /^\d{10}(-\d{3})?$/.test(text.replace(/\s/g, ''));
}

function parseTypedContact(text: string): { name?: string; phone?: string } {
  const phoneMatch = text.match(PHONE_RE);
  const phone = phoneMatch ? (normalizeVietnamesePhone(phoneMatch[0]) ?? undefined) : undefined;
  const name = text
    .replace(phoneMatch?.[0] ?? '', ' ')
    .replace(/(số điện thoại|sđt|sdt|điện thoại|đt|họ tên|tên)\s*:?/gi, ' ')
    .replace(/[,;:\-–]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return { name: name.length >= 2 && /\p{L}/u.test(name) ? name : undefined, phone };
}

export function startIntake(ctx: IntakeContext): IntakeResult {
  const state: IntakeState = { step: 'kind', photos: [] };
  return { state, replies: promptFor(state, ctx) };
}

function categoryButtons(ctx: IntakeContext): OutgoingMessage[] {
  return buttonMessages(
    ctx.say('ask-category', { categories: ctx.categories }),
    ctx.say('ask-category-more'),
    ctx.categories.map((c) => queryButton(c.name, PAYLOAD.category(c.id))),
  );
}

function wardButtons(text: string, candidates: PlaceUnit[]): OutgoingMessage[] {
  return buttonMessages(text, 'Hoặc:', candidates.slice(0, 10).map((u) => queryButton(u.fullName, PAYLOAD.ward(u.id))));
}

/** The question for the step the dialog is at. */
export function promptFor(state: IntakeState, ctx: IntakeContext): OutgoingMessage[] {
  switch (state.step) {
    case 'kind':
      return [
        {
          type: 'buttons',
          text: ctx.say('ask-kind'),
          buttons: [queryButton('Người dân', PAYLOAD.kindCitizen), queryButton('Doanh nghiệp', PAYLOAD.kindBusiness)],
        },
      ];
    case 'company':
      return [{ type: 'text', text: ctx.say('ask-company') }];
    case 'tax_code':
      return [{ type: 'text', text: ctx.say('ask-tax-code') }];
    case 'category':
      return categoryButtons(ctx);
    case 'place':
      return [{ type: 'text', text: ctx.say('ask-place') }];
    case 'description':
      return [{ type: 'text', text: ctx.say('ask-description', { minLength: MIN_DESCRIPTION_LENGTH }) }];
    case 'photos':
      return [
        {
          type: 'buttons',
          text: ctx.say('ask-photos', { max: MAX_PHOTOS }),
          buttons: [queryButton('Xong', PAYLOAD.photosDone), queryButton('Bỏ qua', PAYLOAD.photosSkip)],
        },
      ];
    case 'contact':
      if (ctx.knownContact) {
        return [
          {
            type: 'buttons',
            text: ctx.say('ask-contact-known', { name: ctx.knownContact.name, maskedPhone: maskPhone(ctx.knownContact.phone) }),
            buttons: [queryButton('Dùng thông tin đã lưu', PAYLOAD.contactKnown)],
          },
          { type: 'request_user_info', title: 'UBND Thành phố Hà Nội', subtitle: 'Chia sẻ thông tin liên hệ để cơ quan chức năng xử lý phản ánh' },
        ];
      }
      return [
        { type: 'text', text: ctx.say('ask-contact') },
        { type: 'request_user_info', title: 'UBND Thành phố Hà Nội', subtitle: 'Chia sẻ thông tin liên hệ để cơ quan chức năng xử lý phản ánh' },
      ];
    case 'consent':
      return [
        {
          type: 'buttons',
          text: ctx.say('ask-consent', { version: CONSENT_VERSION }),
          buttons: [queryButton('Đồng ý', PAYLOAD.consentYes), queryButton('Không đồng ý', PAYLOAD.consentNo)],
        },
      ];
    case 'confirm':
      return [
        {
          type: 'buttons',
          text: ctx.say('summary', {
            kindLabel: state.kind === 'business' ? 'Doanh nghiệp' : 'Người dân',
            companyName: state.companyName,
            taxCode: state.taxCode,
            categoryName: state.categoryName,
            address: state.address,
            unitName: state.areaName,
            hasLocation: state.latitude !== undefined,
            description: state.description,
            photoCount: state.photos.length,
            contactName: state.contactName,
            maskedPhone: maskPhone(state.phone ?? ''),
          }),
          buttons: [queryButton('Gửi phản ánh', PAYLOAD.confirm), queryButton('Hủy', PAYLOAD.cancel)],
        },
      ];
  }
}

function advanceTo(state: IntakeState, step: IntakeStep, ctx: IntakeContext, before: OutgoingMessage[] = []): IntakeResult {
  const next = { ...state, step };
  return { state: next, replies: [...before, ...promptFor(next, ctx)] };
}

function repeat(state: IntakeState, ctx: IntakeContext, error: string): IntakeResult {
  return { state, replies: [{ type: 'text', text: error }, ...promptFor(state, ctx)] };
}

function pickCategory(text: string, ctx: IntakeContext): { id: number; name: string } | undefined {
  const payload = text.match(/^#linh-vuc:(\d+)$/);
  if (payload) return ctx.categories.find((c) => c.id === Number(payload[1]));
  const trimmed = text.trim();
  if (/^\d{1,2}$/.test(trimmed)) return ctx.categories[Number(trimmed) - 1];
  const folded = foldVietnamese(trimmed);
  const exact = ctx.categories.find((c) => foldVietnamese(c.name) === folded);
  if (exact) return exact;
  const partial = ctx.categories.filter((c) => folded.length >= 4 && foldVietnamese(c.name).includes(folded));
  return partial.length === 1 ? partial[0] : undefined;
}

function applyPlace(state: IntakeState, text: string, ctx: IntakeContext): IntakeResult {
  const wardPayload = text.match(/^#phuong-xa:(\d+)$/);
  if (wardPayload) {
    const unit = ctx.places.unitById(Number(wardPayload[1]));
    if (unit) return confirmPlace(state, unit, ctx);
  }
  const match = ctx.places.match(text);
  // The typed text is the address as the citizen wrote it, kept whole for the officials.
  const withAddress = { ...state, address: state.address ?? text.trim() };
  switch (match.kind) {
    case 'unit':
      return confirmPlace(withAddress, match.unit, ctx);
    case 'legacy':
      return {
        state: withAddress,
        replies: wardButtons(
          ctx.say('place-legacy', { oldName: match.oldName, candidates: match.candidates, single: match.candidates.length === 1 }),
          match.candidates,
        ),
      };
    case 'ambiguous':
      return { state: withAddress, replies: wardButtons(ctx.say('place-ambiguous', { input: text.trim() }), match.candidates) };
    case 'none':
      return { state, replies: [{ type: 'text', text: ctx.say('place-not-found', { input: text.trim() }) }] };
  }
}

function confirmPlace(state: IntakeState, unit: PlaceUnit, ctx: IntakeContext): IntakeResult {
  const next = { ...state, areaUnitId: unit.id, areaName: unit.fullName };
  return advanceTo(next, 'description', ctx, [{ type: 'text', text: ctx.say('place-confirmed', { address: next.address, unitName: unit.fullName }) }]);
}

function afterContact(state: IntakeState, ctx: IntakeContext): IntakeResult {
  return advanceTo(state, state.consentVersion ? 'confirm' : 'consent', ctx);
}

/**
 * One step of the intake dialog: pure, so every path is tested with plain objects. Free text is
 * matched case- and accent-insensitively; a tapped button arrives as its payload text.
 */
export function advanceIntake(state: IntakeState, input: UserInput, ctx: IntakeContext): IntakeResult {
  const text = input.type === 'text' ? input.text.trim() : '';
  const folded = foldVietnamese(text);

  switch (state.step) {
    case 'kind': {
      if (text === PAYLOAD.kindCitizen || ['nguoi dan', 'ca nhan', 'cong dan', '1'].includes(folded)) {
        return advanceTo({ ...state, kind: 'citizen' }, 'category', ctx);
      }
      if (text === PAYLOAD.kindBusiness || ['doanh nghiep', 'to chuc', 'cong ty', '2'].includes(folded)) {
        return advanceTo({ ...state, kind: 'business' }, 'company', ctx);
      }
      return repeat(state, ctx, ctx.say('unknown-input', { input: text || '(không phải tin nhắn chữ)' }));
    }
    case 'company':
      if (text.length < 2) return repeat(state, ctx, ctx.say('ask-company'));
      return advanceTo({ ...state, companyName: text }, 'tax_code', ctx);
    case 'tax_code':
      if (!isTaxCode(text)) return { state, replies: [{ type: 'text', text: ctx.say('invalid-tax-code', { input: text }) }] };
      return advanceTo({ ...state, taxCode: text.replace(/\s/g, '') }, 'category', ctx);
    case 'category': {
      const category = pickCategory(text, ctx);
      if (!category) return repeat(state, ctx, ctx.say('invalid-category', { input: text, count: ctx.categories.length }));
      return advanceTo({ ...state, categoryId: category.id, categoryName: category.name }, 'place', ctx);
    }
    case 'place': {
      if (input.type === 'location') {
        const next = { ...state, latitude: input.latitude, longitude: input.longitude };
        return {
          state: next,
          replies: [{ type: 'text', text: ctx.say('ask-ward-after-location', { latitude: input.latitude.toFixed(5), longitude: input.longitude.toFixed(5) }) }],
        };
      }
      if (input.type !== 'text' || !text) return repeat(state, ctx, ctx.say('ask-place'));
      return applyPlace(state, text, ctx);
    }
    case 'description': {
      if (input.type === 'media') {
        // Photos sent before the description are kept, not lost.
        return { state: { ...state, photos: [...state.photos, ...evidenceOf(input.attachments)].slice(0, MAX_PHOTOS) }, replies: promptFor(state, ctx) };
      }
      const length = [...text.normalize('NFC')].length;
      if (length < MIN_DESCRIPTION_LENGTH) {
        return { state, replies: [{ type: 'text', text: ctx.say('description-too-short', { length, minLength: MIN_DESCRIPTION_LENGTH }) }] };
      }
      const next = { ...state, description: text.normalize('NFC') };
      return state.photos.length >= MAX_PHOTOS ? advanceTo(next, 'contact', ctx) : advanceTo(next, 'photos', ctx);
    }
    case 'photos': {
      // A sticker or a shared link is a reaction, not evidence: it must not count as one of the photos.
      if (input.type === 'media' && evidenceOf(input.attachments).length === 0) return repeat(state, ctx, ctx.say('photo-type-not-accepted'));
      if (input.type === 'media') {
        const photos = [...state.photos, ...evidenceOf(input.attachments)].slice(0, MAX_PHOTOS);
        const next = { ...state, photos };
        if (photos.length >= MAX_PHOTOS) {
          return advanceTo(next, 'contact', ctx, [{ type: 'text', text: ctx.say('photos-full', { max: MAX_PHOTOS }) }]);
        }
        return { state: next, replies: [{ type: 'text', text: ctx.say('photo-received', { count: photos.length, max: MAX_PHOTOS }) }] };
      }
      if (text === PAYLOAD.photosDone || text === PAYLOAD.photosSkip || ['xong', 'bo qua', 'khong co', 'khong', 'tiep'].includes(folded)) {
        return advanceTo(state, 'contact', ctx);
      }
      return repeat(state, ctx, ctx.say('photo-type-not-accepted'));
    }
    case 'contact': {
      if (text === PAYLOAD.contactKnown && ctx.knownContact) {
        return afterContact({ ...state, contactName: ctx.knownContact.name, phone: ctx.knownContact.phone }, ctx);
      }
      const given = input.type === 'contact_info' ? { name: input.name, phone: input.phone ? (normalizeVietnamesePhone(input.phone) ?? undefined) : undefined } : parseTypedContact(text);
      const next = { ...state, contactName: given.name ?? state.contactName, phone: given.phone ?? state.phone };
      if (input.type === 'contact_info' && input.address && !next.address) next.address = input.address;
      if (!next.contactName || !next.phone) return { state: next, replies: [{ type: 'text', text: ctx.say('invalid-contact') }] };
      return afterContact(next, ctx);
    }
    case 'consent': {
      if (text === PAYLOAD.consentYes || ['dong y', 'co', 'ok', 'dong y a'].includes(folded)) {
        return advanceTo({ ...state, consentVersion: CONSENT_VERSION, consentAt: ctx.now.toISOString() }, 'confirm', ctx);
      }
      if (text === PAYLOAD.consentNo || ['khong dong y', 'khong'].includes(folded)) {
        return { state, replies: [{ type: 'text', text: ctx.say('consent-declined') }], end: true };
      }
      return repeat(state, ctx, ctx.say('unknown-input', { input: text }));
    }
    case 'confirm': {
      if (text === PAYLOAD.confirm || ['gui', 'gui phan anh', 'xac nhan', 'dong y'].includes(folded)) {
        return { state, replies: [], submit: true };
      }
      return repeat(state, ctx, ctx.say('unknown-input', { input: text }));
    }
  }
}
