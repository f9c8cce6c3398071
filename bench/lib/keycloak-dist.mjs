// Finds a Java 21+ runtime and brings Keycloak's Quarkus distribution (org.keycloak:keycloak-quarkus-dist) from
// Maven Central into .cache/keycloak/, checked against the SHA-256 (or SHA-1) published beside it, for bench/peers.mjs.
// Either answers what it found or throws Unavailable, which the benchmark reports as a skip.
/* global AbortSignal */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { checksumOf, javaMajor, latestRelease } from './peer-parsing.ts';

const MAVEN = 'https://repo1.maven.org/maven2/org/keycloak/keycloak-quarkus-dist';
const FALLBACK_JDK = '/usr/lib/jvm/temurin-25-jdk-amd64';
const MIN_JAVA = 21;
const MAJOR = 26;

/** Something the benchmark needs is not on this machine (no Java 21+, no download): a skip, not a failure. */
export class Unavailable extends Error {}

/**
 * The first Java 21+ among $JAVA_HOME/bin/java, `java` on PATH and the Temurin 25 JDK; answers its binary, home and
 * a label (`Java 25.0.3 (<home>)`). Older ones are passed over (Keycloak 26 needs 21+), and said so in `passedOver`.
 */
export function findJava() {
  const candidates = [];
  if (process.env.JAVA_HOME) candidates.push(join(process.env.JAVA_HOME, 'bin', 'java'));
  for (const dir of (process.env.PATH ?? '').split(delimiter)) if (dir) candidates.push(join(dir, 'java'));
  candidates.push(join(FALLBACK_JDK, 'bin', 'java'));
  const passedOver = [];
  for (const candidate of candidates) {
    if (!existsSync(candidate)) continue;
    const result = spawnSync(candidate, ['-version'], { encoding: 'utf8', timeout: 30_000 });
    const text = `${result.stderr ?? ''}${result.stdout ?? ''}`;
    const major = javaMajor(text);
    if (major === undefined || major < MIN_JAVA) {
      passedOver.push(`${candidate} (${major === undefined ? 'unreadable version' : `Java ${major}`})`);
      continue;
    }
    const binary = realpathSync(candidate);
    const home = dirname(dirname(binary));
    return { binary, home, label: `Java ${/version "([^"]+)"/.exec(text)?.[1] ?? major} (${home})`, major, passedOver };
  }
  throw new Unavailable(`no Java ${MIN_JAVA}+ found (looked at JAVA_HOME, PATH and ${FALLBACK_JDK}${passedOver.length ? `; passed over ${passedOver.join(', ')}` : ''})`);
}

async function fetchText(url, timeoutMs = 30_000) {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response.text();
}

/** Cached distributions, newest first (directories `keycloak-26.x.y` holding bin/kc.sh). */
function cachedVersions(cacheDir) {
  if (!existsSync(cacheDir)) return [];
  return readdirSync(cacheDir)
    .map((name) => /^keycloak-(\d+)\.(\d+)\.(\d+)$/.exec(name))
    .filter((m) => m && Number(m[1]) === MAJOR && existsSync(join(cacheDir, m[0], 'bin', 'kc.sh')))
    .map((m) => ({ version: `${m[1]}.${m[2]}.${m[3]}`, key: [Number(m[2]), Number(m[3])] }))
    .sort((a, b) => b.key[0] - a.key[0] || b.key[1] - a.key[1])
    .map((entry) => entry.version);
}

/**
 * The Keycloak home directory for KEYCLOAK_VERSION, or else for the newest 26.x Maven Central lists (the newest
 * cached one when Maven Central does not answer). Downloads the tar.gz once, verifies it and unpacks it.
 */
export async function keycloakHome(cacheDir, log = console.log) {
  let version = process.env.KEYCLOAK_VERSION;
  if (!version) {
    try {
      version = latestRelease(await fetchText(`${MAVEN}/maven-metadata.xml`), MAJOR);
      if (!version) throw new Error(`no ${MAJOR}.x release listed`);
    } catch (error) {
      const cached = cachedVersions(cacheDir)[0];
      if (!cached) throw new Unavailable(`cannot list Keycloak releases on Maven Central (${error.message}) and none is cached in ${cacheDir}`);
      log(`Maven Central did not answer (${error.message}); using cached Keycloak ${cached}`);
      version = cached;
    }
  }
  const home = join(cacheDir, `keycloak-${version}`);
  if (existsSync(join(home, 'bin', 'kc.sh'))) return { home, version };

  mkdirSync(cacheDir, { recursive: true });
  const file = `keycloak-quarkus-dist-${version}.tar.gz`;
  const url = `${MAVEN}/${version}/${file}`;
  // SHA-256 where Maven Central publishes it (recent artifacts), else the SHA-1 every artifact has.
  let expected;
  for (const [algorithm, hexLength] of [['sha256', 64], ['sha1', 40]]) {
    try {
      const digest = checksumOf(await fetchText(`${url}.${algorithm}`), hexLength);
      if (digest) {
        expected = { algorithm, digest };
        break;
      }
    } catch {
      // try the next algorithm
    }
  }
  if (!expected) throw new Unavailable(`no checksum for ${url} (Maven Central unreachable, or version ${version} not served)`);

  const archive = join(cacheDir, `${file}.part`);
  log(`downloading ${url} ...`);
  const started = Date.now();
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(600_000) });
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
    const hash = createHash(expected.algorithm);
    const digesting = new Transform({
      transform(chunk, _encoding, callback) {
        hash.update(chunk);
        callback(null, chunk);
      },
    });
    await pipeline(Readable.fromWeb(response.body), digesting, createWriteStream(archive));
    const actual = hash.digest('hex');
    if (actual !== expected.digest) throw new Error(`${expected.algorithm} mismatch: published ${expected.digest}, downloaded ${actual}`);
  } catch (error) {
    rmSync(archive, { force: true });
    if (/mismatch/.test(error.message)) throw error; // a corrupt or tampered download is a failure, not a skip
    throw new Unavailable(`cannot download ${url}: ${error.message}`);
  }
  log(`downloaded and ${expected.algorithm}-verified in ${((Date.now() - started) / 1000).toFixed(0)} s; unpacking`);
  // Unpack beside the cache, then rename: an interrupted unpack never looks like a usable distribution.
  const staging = join(cacheDir, `.unpack-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  const tar = spawnSync('tar', ['-xzf', archive, '-C', staging], { encoding: 'utf8' });
  if (tar.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`tar -xzf ${archive}: ${tar.stderr || tar.error?.message}`);
  }
  renameSync(join(staging, `keycloak-${version}`), home);
  rmSync(staging, { recursive: true, force: true });
  rmSync(archive, { force: true });
  writeFileSync(join(home, '.verified'), `${expected.algorithm} ${expected.digest} ${file}\n`);
  return { home, version };
}
