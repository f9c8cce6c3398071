// What the partner API takes for coupon campaigns (zod at the edge: unknown fields refused, per-field errors)
// and how it shows them.
import type { Context } from 'koa';
import { z } from 'zod';
import { fieldErrors } from '../admin/client-input.ts';
import {
  COUPON_CODE, MAX_GENERATED_CODES, MAX_PER_MEMBER, MIN_RANDOM_CHARACTERS, normaliseCodePattern,
} from '../domain/coupons/coupon-rules.ts';
import type { Campaign, CampaignChanges, GeneratedCode } from '../domain/coupons/coupons.repository.ts';
import { DomainError } from '../domain/errors.ts';
import { MAX_POINTS_PER_ENTRY } from '../domain/loyalty/loyalty-service.ts';

const points = z.number().int().min(1).max(MAX_POINTS_PER_ENTRY);
const perMemberLimit = z.number().int().min(1).max(MAX_PER_MEMBER);
const totalLimit = z.number().int().min(1).max(MAX_POINTS_PER_ENTRY);
const instant = z.iso.datetime({ offset: true });
const inOrder = (body: { starts_at?: string; ends_at?: string }) => !body.starts_at || !body.ends_at || Date.parse(body.ends_at) > Date.parse(body.starts_at);
const ORDER = { path: ['ends_at'], message: 'must be after starts_at' };

const singleBody = z.object({
  code: z.string().trim().toUpperCase().regex(COUPON_CODE, 'must be 4-32 of A-Z, 0-9 and -'),
  points,
  per_member_limit: perMemberLimit,
  total_limit: totalLimit,
  starts_at: instant,
  ends_at: instant,
}).strict().refine(inOrder, ORDER);

const PATTERN_RULE = `must be 4-32 of A-Z, 0-9, - and #, with at least ${MIN_RANDOM_CHARACTERS} # (each # becomes a random character)`;

const generatedBody = z.object({
  code_pattern: z.string().max(64).transform((value) => normaliseCodePattern(value) ?? '').refine((pattern) => pattern !== '', PATTERN_RULE),
  code_count: z.number().int().min(1).max(MAX_GENERATED_CODES),
  points,
  per_member_limit: perMemberLimit,
  /** Defaults to code_count: every code can be used. */
  total_limit: z.number().int().min(1).max(MAX_GENERATED_CODES).optional(),
  starts_at: instant,
  ends_at: instant,
}).strict()
  .refine(inOrder, ORDER)
  .refine((body) => body.total_limit === undefined || body.total_limit <= body.code_count, { path: ['total_limit'], message: 'must be at most code_count' });

const changesBody = z.object({
  points: points.optional(),
  per_member_limit: perMemberLimit.optional(),
  total_limit: totalLimit.optional(),
  starts_at: instant.optional(),
  ends_at: instant.optional(),
}).strict()
  .refine((body) => Object.keys(body).length > 0, { message: 'name at least one of points, per_member_limit, total_limit, starts_at, ends_at' })
  .refine(inOrder, ORDER);

export type NewCampaignInput =
  | { kind: 'single'; campaign: { code: string; points: number; perMemberLimit: number; totalLimit: number; startsAt: Date; endsAt: Date } }
  | { kind: 'generated'; campaign: { codePattern: string; codeCount: number; points: number; perMemberLimit: number; totalLimit: number; startsAt: Date; endsAt: Date } };

function invalid(error: z.ZodError, message: string): DomainError {
  return new DomainError('invalid_input', message, { details: { fields: fieldErrors(error) } });
}

/** What both kinds of campaign take alike. */
function common(input: { points: number; per_member_limit: number; starts_at: string; ends_at: string }) {
  return { points: input.points, perMemberLimit: input.per_member_limit, startsAt: new Date(input.starts_at), endsAt: new Date(input.ends_at) };
}

/** A campaign with one code ({"code", ...}) or with generated codes ({"code_pattern", "code_count", ...}). */
export function parseNewCampaign(body: unknown): NewCampaignInput {
  if (typeof body === 'object' && body !== null && 'code_pattern' in body) {
    const parsed = generatedBody.safeParse(body);
    if (!parsed.success) throw invalid(parsed.error, 'body must be {"code_pattern", "code_count", "points", "per_member_limit", "total_limit"?, "starts_at", "ends_at"}');
    const input = parsed.data;
    return { kind: 'generated', campaign: { ...common(input), codePattern: input.code_pattern, codeCount: input.code_count, totalLimit: input.total_limit ?? input.code_count } };
  }
  const parsed = singleBody.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error, 'body must be {"code", "points", "per_member_limit", "total_limit", "starts_at", "ends_at"} (or "code_pattern" and "code_count" instead of "code") with ends_at after starts_at');
  const input = parsed.data;
  return { kind: 'single', campaign: { ...common(input), code: input.code, totalLimit: input.total_limit } };
}

/** PATCH /campaigns/{id}: what may change (never the code). */
export function parseChanges(body: unknown): CampaignChanges {
  const parsed = changesBody.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error, 'body may hold points, per_member_limit, total_limit, starts_at and ends_at (at least one); the code cannot change');
  const input = parsed.data;
  return {
    points: input.points,
    perMemberLimit: input.per_member_limit,
    totalLimit: input.total_limit,
    startsAt: input.starts_at === undefined ? undefined : new Date(input.starts_at),
    endsAt: input.ends_at === undefined ? undefined : new Date(input.ends_at),
  };
}

/** ?limit=&after= of a listing: limit 1..max (default `fallback`), after an item of the previous page. */
export function parsePage(ctx: Context, max: number, fallback: number): { limit: number; after?: string } {
  const query = z.object({
    limit: z.string().regex(/^\d{1,5}$/, `must be a whole number from 1 to ${max}`).transform(Number).pipe(z.number().min(1).max(max)).optional(),
    after: z.string().min(1).max(64).optional(),
  }).strict().safeParse(ctx.query);
  if (!query.success) throw invalid(query.error, `limit must be 1 to ${max}; after names the last item of the previous page`);
  return { limit: query.data.limit ?? fallback, after: query.data.after };
}

export function campaignJson(campaign: Campaign, uses?: number): Record<string, unknown> {
  return {
    id: campaign.id,
    code: campaign.code,
    code_pattern: campaign.codePattern,
    code_count: campaign.codeCount,
    points: campaign.points,
    per_member_limit: campaign.perMemberLimit,
    total_limit: campaign.totalLimit,
    starts_at: campaign.startsAt.toISOString(),
    ends_at: campaign.endsAt.toISOString(),
    ended_at: campaign.endedAt?.toISOString() ?? null,
    created_at: campaign.createdAt.toISOString(),
    ...(uses === undefined ? {} : { uses }),
  };
}

export function codeJson(code: GeneratedCode): Record<string, unknown> {
  return { code: code.code, used: code.usedAt !== null, used_at: code.usedAt?.toISOString() ?? null };
}
