import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PLAN_RULES } from './plan-rules.js';
import { defaultPlansFile, readPlanSeeds } from './plan-seeds.js';

const dir = mkdtempSync(path.join(tmpdir(), 'plans-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const valid = {
  code: 'pro',
  name: 'Pro',
  priceCents: 1900,
  currency: 'usd',
  interval: 'MONTH',
  trialDays: 14,
  providerPriceId: null,
  sortOrder: 1,
  entitlements: { features: ['api.export'], limits: { 'projects.max': 20 } },
};

function read(plans: unknown[]): ReturnType<typeof readPlanSeeds> {
  const file = path.join(dir, `${Math.random()}.json`);
  writeFileSync(file, JSON.stringify({ plans }));
  return readPlanSeeds(file);
}

describe(readPlanSeeds.name, () => {
  it('accepts the shipped plans file', () => {
    expect(readPlanSeeds(defaultPlansFile()).length).toBeGreaterThan(0);
  });

  it.each([
    ['a code with capitals', { code: 'Pro' }, /code must be/],
    ['a name on two lines', { name: 'Pro\nplan' }, /name must be/],
    ['a name with surrounding spaces', { name: ' Pro ' }, /name must be/],
    ['a price above the column', { priceCents: PLAN_RULES.maxPriceCents + 1 }, /priceCents/],
    ['an upper-case currency', { currency: 'USD' }, /currency/],
    ['a trial longer than Stripe allows', { trialDays: 731 }, /trialDays/],
    ['a feature name with spaces', { entitlements: { features: ['api export'], limits: {} } }, /features/],
    ['a negative limit', { entitlements: { features: [], limits: { 'projects.max': -1 } } }, /limits/],
    ['a fractional limit', { entitlements: { features: [], limits: { 'projects.max': 1.5 } } }, /limits/],
    ['limits given as a list', { entitlements: { features: [], limits: [1] } }, /limits/],
  ])('refuses %s', (_label, change, message) => {
    expect(() => read([{ ...valid, ...change }])).toThrow(message);
  });

  it('refuses two plans with one code', () => {
    expect(() => read([valid, { ...valid, name: 'Pro again' }])).toThrow(/used by an earlier plan/);
  });

  it(`refuses more than ${PLAN_RULES.maxPlans} plans`, () => {
    const plans = Array.from({ length: PLAN_RULES.maxPlans + 1 }, (_, i) => ({ ...valid, code: `plan-${i}` }));
    expect(() => read(plans)).toThrow(/at most/);
  });
});
