// Account-takeover wave against 10,000 members (issue 21): points lost with and without the points-fraud signals,
// and how many normal members the signals hold for review. In-process, on the real SQLite adapter (in memory by
// default) with the real risk rules and outcome ladder; no HTTP. Every member is seeded through the store with 60
// days of history (earns from partners, a few redemptions, a device used for months); then one simulated day: normal
// members redeem (some on a phone they got this week, some abroad, some spending their whole balance) while
// attackers with stolen passwords sign in on their own browsers and drain the victims' balances, in one go or in
// smaller pieces. Attackers are assumed to pass every step-up short of a passkey (they hold the mailbox too: the
// worst case); reviewers reject the attackers' held redemptions and release the members'.
// The store's clock (Date.now) is the simulation's, so the ledger's timestamps are the simulated ones.
// Usage: npm run bench:ato   (options: MEMBERS, VICTIM_PERCENT, REDEEMER_PERCENT, SEED, DATA_DIR (a file store under it instead of
// memory), RISK_REDEMPTION_PASSKEY_SCORE, RISK_REDEMPTION_DENY_SCORE, TRACE=1)
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openSqliteStorage } from '../adapters/sqlite/index.ts';
import { ACR } from '../config/assurance.ts';
import { DEFAULT_POINTS_FRAUD } from '../config/points-fraud.ts';
import { LoyaltyService } from '../server/domain/loyalty/loyalty-service.ts';
import { countryCentroid, distanceKm } from '../server/security/geo/country-centroids.ts';
import { redemptionOutcome, RedemptionRisk } from '../server/security/risk/redemption-risk.ts';
import { RiskEngine, riskRules } from '../server/security/risk/risk-engine.ts';

const MEMBERS = Number(process.env.MEMBERS ?? 10_000);
const VICTIM_PERCENT = Number(process.env.VICTIM_PERCENT ?? 5);
const REDEEMER_PERCENT = Number(process.env.REDEEMER_PERCENT ?? 15);
const SEED = Number(process.env.SEED ?? 21);
const DATA_DIR = process.env.DATA_DIR;
/** RISK_REDEMPTION_PASSKEY_SCORE and RISK_REDEMPTION_DENY_SCORE of the run with signals (their defaults unless set). */
const PASSKEY_SCORE = Number(process.env.RISK_REDEMPTION_PASSKEY_SCORE ?? DEFAULT_POINTS_FRAUD.passkeyScore);
const DENY_SCORE = Number(process.env.RISK_REDEMPTION_DENY_SCORE ?? DEFAULT_POINTS_FRAUD.denyScore);
/** TRACE=1 prints each normal member's redemption that was not simply allowed, with the signals that fired. */
const TRACE = process.env.TRACE === '1';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const HOME = 'MX';
const ABROAD = ['US', 'BR', 'ES', 'CO', 'FR'];
const ATTACKER_COUNTRIES = ['NG', 'RU', 'VN', 'BR', 'US', 'ID'];
const PARTNERS = ['p-air', 'p-fuel', 'p-grocer', 'p-hotel', 'p-bank'];

/** mulberry32: the same scenario on every run with one SEED, and for both variants. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The simulation's clock: the adapters stamp entries with Date.now().
const realNow = Date.now;
const START = realNow();
let simNow = START;
Date.now = () => Math.floor(simNow);

/** The scenario: who the members are, what each does on the simulated day. Pure data, drawn once from SEED. */
function scenario() {
  const random = rng(SEED);
  const pick = (list) => list[Math.floor(random() * list.length)];
  const between = (a, b) => a + random() * (b - a);
  const dayStart = START + 60 * DAY;
  const members = [];
  for (let i = 0; i < MEMBERS; i += 1) {
    // Log-uniform balances from 300 to 30,000 points.
    const balance = Math.round(Math.exp(between(Math.log(300), Math.log(30_000))));
    const pastRedemptions = Math.floor(random() * 4);
    const earns = 3 + Math.floor(random() * 6);
    const spentBefore = pastRedemptions * Math.round(balance * 0.1);
    const history = [];
    for (let e = 0; e < earns; e += 1) {
      history.push({ kind: 'earn', at: dayStart - between(2, 60) * DAY, points: Math.max(1, Math.round((balance + spentBefore) / earns)), partnerId: pick(PARTNERS) });
    }
    for (let r = 0; r < pastRedemptions; r += 1) history.push({ kind: 'redeem', at: dayStart - between(1.5, 30) * DAY, points: Math.round(balance * 0.1) });
    history.sort((a, b) => a.at - b.at);
    members.push({
      index: i,
      accountId: `sim-member-${i}`,
      history,
      homeDeviceSince: dayStart - between(30, 365) * DAY,
      homeLastSeen: dayStart - between(0.2, 3) * DAY,
      passkey: random() < 0.15,
    });
  }
  const events = [];
  const victims = new Set();
  while (victims.size < Math.round((MEMBERS * VICTIM_PERCENT) / 100)) victims.add(Math.floor(random() * MEMBERS));
  // Normal members are the others: a victim's own redemptions after the takeover are rightly suspect, not false holds.
  for (const member of members) {
    if (victims.has(member.index)) continue;
    if (random() * 100 < REDEEMER_PERCENT) {
      // A normal member's day: usually their own phone at home; some a new phone this week, some abroad.
      const roll = random();
      const context = roll < 0.05 ? 'new-phone' : roll < 0.07 ? 'abroad' : 'home';
      const size = random();
      const share = size < 0.7 ? between(0.05, 0.4) : size < 0.9 ? between(0.4, 0.79) : between(0.8, 1);
      const count = random() < 0.1 ? 2 + Math.floor(random() * 2) : 1;
      const at = dayStart + between(0, 20) * HOUR;
      for (let n = 0; n < count; n += 1) {
        events.push({ type: 'member', member, at: at + n * between(5, 90) * MINUTE, share: count > 1 ? share / count : share, context, country: context === 'abroad' ? pick(ABROAD) : HOME });
      }
    }
  }
  for (const index of victims) {
    const member = members[index];
    const at = dayStart + between(0, 22) * HOUR;
    // Residential proxies put some attackers in the member's own country.
    const country = random() < 0.4 ? HOME : pick(ATTACKER_COUNTRIES);
    const split = random() < 0.3;
    const pieces = split ? 4 : 1;
    for (let n = 0; n < pieces; n += 1) {
      events.push({ type: 'attack', member, at: at + 10 * MINUTE + n * 10 * MINUTE, share: split ? 0.23 : 0.95, country, signInAt: at, device: `attacker-device-hash-${index}` });
    }
  }
  events.sort((a, b) => a.at - b.at);
  return { members, events, victims, dayStart };
}

/** One run of the scenario on a fresh store; `signals` false: the points rules off (the sign-in rules and step-up only). */
async function run(plan, signals) {
  const dataDir = DATA_DIR ? mkdtempSync(join(DATA_DIR, 'ato-')) : ':memory:';
  const storage = await openSqliteStorage({ dataDir });
  const loyalty = new LoyaltyService(storage.loyalty);
  const risk = new RiskEngine({
    devices: storage.devices,
    // Simulated addresses name their country ("sim-MX").
    geo: { country: (ip) => (ip.startsWith('sim-') ? ip.slice(4) : undefined) },
    places: { centroid: countryCentroid, distanceKm },
    recentFailures: async () => 0,
    rules: riskRules(true),
  });
  const tuned = { ...DEFAULT_POINTS_FRAUD, passkeyScore: PASSKEY_SCORE, denyScore: DENY_SCORE };
  const settings = signals ? tuned : { ...DEFAULT_POINTS_FRAUD, passkeyScore: 101, denyScore: 101 };
  const redemptionRisk = new RedemptionRisk({ risk, devices: storage.devices, ledger: storage.loyalty, links: storage.federatedIdentities, settings, ...(signals ? {} : { rules: [] }) });

  const seedStarted = realNow();
  for (const member of plan.members) {
    simNow = member.homeDeviceSince;
    await storage.loyalty.createMember({ accountId: member.accountId, memberNumber: String(1_000_000_000 + member.index), enrolmentChannel: 'web' });
    await storage.devices.record(member.accountId, `home-device-hash-${member.index}`, { at: new Date(member.homeDeviceSince), ip: null, country: HOME, userAgent: null });
    for (const [n, step] of member.history.entries()) {
      simNow = step.at;
      const key = `seed:${member.index}:${n}`;
      await storage.loyalty.post({
        accountId: member.accountId, kind: step.kind, points: step.kind === 'earn' ? step.points : -step.points, partnerId: step.kind === 'earn' ? step.partnerId : null,
        reason: 'seed', idempotencyKey: key, requestHash: key,
      }).then((result) => result.ok || undefined);
    }
    await storage.devices.record(member.accountId, `home-device-hash-${member.index}`, { at: new Date(member.homeLastSeen), ip: null, country: HOME, userAgent: null });
  }
  const seedMs = realNow() - seedStarted;

  const stats = {
    attackPoints: 0, lost: 0, attackHeld: 0, attackDenied: 0, attackRedemptions: 0,
    memberRedemptions: 0, memberHeld: 0, memberDenied: 0, memberPoints: 0, heldMembers: new Set(), redeemingMembers: new Set(),
  };
  const holds = [];
  const simStarted = realNow();
  for (const [n, event] of plan.events.entries()) {
    simNow = event.at;
    const { member } = event;
    if (event.type === 'attack' && event.signInAt + 10 * MINUTE >= event.at) {
      // The attacker's sign-in on their own browser (the stolen password, then whatever step-up it takes).
      simNow = event.signInAt;
      await storage.devices.record(member.accountId, event.device, { at: new Date(event.signInAt), ip: `sim-${event.country}`, country: event.country, userAgent: null });
      simNow = event.at;
    }
    if (event.type === 'member' && event.context === 'new-phone') {
      const got = event.at - (1 + (member.index % 48)) * HOUR;
      await storage.devices.record(member.accountId, `phone-device-hash-${member.index}`, { at: new Date(got), ip: null, country: HOME, userAgent: null });
    }
    if (event.type === 'member' && event.context === 'abroad') {
      await storage.devices.record(member.accountId, `home-device-hash-${member.index}`, { at: new Date(event.at - 20 * HOUR), ip: null, country: event.country, userAgent: null });
    }
    const balance = (await storage.loyalty.findMember(member.accountId))?.balance ?? 0;
    const points = Math.max(1, Math.floor(balance * event.share));
    if (balance < 1 || points > balance) continue;
    const attacker = event.type === 'attack';
    if (attacker) {
      stats.attackPoints += points;
      stats.attackRedemptions += 1;
    } else {
      stats.memberRedemptions += 1;
      stats.memberPoints += points;
      stats.redeemingMembers.add(member.index);
    }
    const assessment = await redemptionRisk.assess({
      accountId: member.accountId, email: `${member.accountId}@example.com`, ip: `sim-${event.country}`, credentialsChangedAt: null, points, balance, at: new Date(event.at),
    });
    // Everyone signed in a minute ago; members with a passkey used it, attackers never can.
    const nowS = Math.floor(event.at / 1000);
    const acr = !attacker && member.passkey ? ACR.phishingResistant : ACR.twoFactors;
    let decision = redemptionOutcome(assessment.score, { acr, authTime: nowS - 60 }, settings, event.at);
    // A step-up is passed at the strongest level the person has (the client sends them back; they sign in again).
    if (decision.outcome === 'step_up') decision = redemptionOutcome(assessment.score, { acr, authTime: nowS }, settings, event.at);
    const request = { accountId: member.accountId, points, partnerId: null, reason: attacker ? 'gift card' : 'reward', idempotencyKey: `sim:${n}` };
    if (TRACE && !attacker && decision.outcome !== 'allow') console.log('member', decision.outcome, event.context, event.share.toFixed(2), assessment.signals.map((s) => s.rule).join(' '));
    if (decision.outcome === 'deny') {
      if (attacker) stats.attackDenied += points;
      else stats.memberDenied += 1;
      continue;
    }
    if (decision.outcome === 'hold') {
      const held = await storage.heldRedemptions.hold({ ...request, requestHash: loyalty.redemptionHash(request), score: assessment.score, signals: assessment.signals.map((s) => s.rule) });
      if (held.ok && held.hold) holds.push({ id: held.hold.id, attacker, points });
      if (attacker) stats.attackHeld += points;
      else {
        stats.memberHeld += 1;
        stats.heldMembers.add(member.index);
      }
      continue;
    }
    const redeemed = await loyalty.redeem(request);
    if (redeemed.ok && attacker) stats.lost += points;
  }
  // The review: attackers' holds rejected (points back), members' released.
  simNow = plan.dayStart + 26 * HOUR;
  for (const hold of holds) {
    const decided = hold.attacker ? await storage.heldRedemptions.reject(hold.id, 'reviewer') : await storage.heldRedemptions.release(hold.id, 'reviewer');
    if (!decided.ok) throw new Error(`review of ${hold.id} failed: ${decided.reason}`);
  }
  const simMs = realNow() - simStarted;

  // Invariant: every member's balance is the sum of its entries.
  let broken = 0;
  for (const member of plan.members) {
    const [found, sum] = await Promise.all([storage.loyalty.findMember(member.accountId), storage.loyalty.sumEntries(member.accountId)]);
    if (found?.balance !== sum) broken += 1;
  }
  await storage.close();
  if (dataDir !== ':memory:') rmSync(dataDir, { recursive: true, force: true });
  return { ...stats, seedMs, simMs, broken };
}

const percent = (part, whole) => (whole === 0 ? '0.00' : ((100 * part) / whole).toFixed(2));
const plan = scenario();
const victims = plan.victims.size;
console.log(`ATO simulation (passkey/hold from score ${PASSKEY_SCORE}, refusal from ${DENY_SCORE}): ${MEMBERS} members, ${victims} victims (${VICTIM_PERCENT}%), ~${REDEEMER_PERCENT}% of members redeem on the day, seed ${SEED}`);
const results = {};
for (const signals of [false, true]) {
  const result = await run(plan, signals);
  results[signals ? 'with' : 'without'] = result;
  console.log(`\n${signals ? 'WITH' : 'WITHOUT'} points-fraud signals (seed ${(result.seedMs / 1000).toFixed(1)} s, day ${(result.simMs / 1000).toFixed(1)} s)`);
  console.log(`  attacker redemptions ${result.attackRedemptions}, ${result.attackPoints} points tried`);
  console.log(`  points lost: ${result.lost} (${percent(result.lost, result.attackPoints)}% of what attackers tried); held then rejected: ${result.attackHeld}; refused: ${result.attackDenied}`);
  console.log(`  normal redemptions ${result.memberRedemptions} by ${result.redeemingMembers.size} members; held ${result.memberHeld} (${percent(result.memberHeld, result.memberRedemptions)}% of redemptions), refused ${result.memberDenied}`);
  console.log(`  false-hold rate: ${percent(result.heldMembers.size, result.redeemingMembers.size)}% of redeeming members (${result.heldMembers.size}), ${percent(result.heldMembers.size, MEMBERS)}% of all members`);
  console.log(`  ledger invariant (balance = sum of entries): ${result.broken === 0 ? 'holds for every member' : `BROKEN for ${result.broken} members`}`);
}
const saved = results.without.lost - results.with.lost;
console.log(`\nSignals saved ${saved} of ${results.without.lost} points (${percent(saved, results.without.lost)}%)`);
Date.now = realNow;
if (results.with.broken + results.without.broken > 0) process.exit(1);
