// Imported password hashes: each family verifies vectors made by its reference implementation and at least one
// published vector, refuses wrong passwords and garbled strings, and an unknown format is never verifiable.
import { createHash, pbkdf2Sync, randomBytes, scryptSync, createCipheriv } from 'node:crypto';
import argon2 from 'argon2';
import bcrypt from 'bcryptjs';
import { recogniseHash, verifyStoredHash } from '../../server/passwords/legacy/registry.ts';
import type { LegacyHashSettings } from '../../server/passwords/legacy/registry.ts';

const PASSWORD = 'Tr0ub4dor&3 – ünïcode';
const none: LegacyHashSettings = {};

/** passlib's adapted base64: `.` for `+`, no padding. */
const ab64 = (bytes: Buffer) => bytes.toString('base64').replaceAll('+', '.').replace(/=+$/, '');

async function expectVerifies(hash: string, password: string, family: string, settings: LegacyHashSettings = none): Promise<void> {
  expect(recogniseHash(hash)?.name).toBe(family);
  expect(await verifyStoredHash(hash, password, settings)).toEqual({ valid: true, weak: recogniseHash(hash)!.weak });
  expect((await verifyStoredHash(hash, `${password}x`, settings)).valid).toBe(false);
  expect((await verifyStoredHash(hash, '', settings)).valid).toBe(false);
}

function aspNetV3(prf: number, iterations: number, salt: Buffer, subkey: Buffer): string {
  const header = Buffer.alloc(13);
  header[0] = 0x01;
  header.writeUInt32BE(prf, 1);
  header.writeUInt32BE(iterations, 5);
  header.writeUInt32BE(salt.length, 9);
  return Buffer.concat([header, salt, subkey]).toString('base64');
}

describe('bcrypt', () => {
  test('a compare runs off the event loop: other work goes on while a cost-11 hash is checked', async () => {
    const hash = bcrypt.hashSync(PASSWORD, 11);
    let turns = 0;
    let running = true;
    const spin = async () => {
      while (running) {
        await new Promise((resolve) => setImmediate(resolve));
        turns += 1;
      }
    };
    const spinning = spin();
    const [right, wrong] = await Promise.all([verifyStoredHash(hash, PASSWORD, none), verifyStoredHash(hash, 'not it', none)]);
    running = false;
    await spinning;
    expect(right.valid).toBe(true);
    expect(wrong.valid).toBe(false);
    // On the main thread bcryptjs yields once per 100 ms slice: a handful of turns for two compares of ~150 ms each.
    expect(turns).toBeGreaterThan(100);
  });

  test.each(['$2a$', '$2b$', '$2y$'])('%s made by bcryptjs verifies', async (prefix) => {
    const hash = bcrypt.hashSync(PASSWORD, 4).replace(/^\$2[ab]\$/, prefix);
    await expectVerifies(hash, PASSWORD, 'bcrypt');
  });

  test('published vector', async () => {
    // hashcat example hashes (https://hashcat.net/wiki/doku.php?id=example_hashes), mode 3200, password "hashcat".
    await expectVerifies('$2a$05$LhayLxezLhK1LhWvKxCyLOj0j1u.Kj0jZ0pEmm134uzrQlFvQJLF6', 'hashcat', 'bcrypt');
  });
});

describe('PBKDF2', () => {
  test.each([
    ['pbkdf2_sha256', 'sha256', 32],
    ['pbkdf2_sha1', 'sha1', 20],
  ] as const)('Django %s built by its documented layout verifies', async (algorithm, digest, length) => {
    const salt = 'aB3dE5fG7hJ9kL1m';
    const hash = `${algorithm}$1200$${salt}$${pbkdf2Sync(PASSWORD, salt, 1200, length, digest).toString('base64')}`;
    await expectVerifies(hash, PASSWORD, 'pbkdf2-django');
  });

  test('Django published vectors', async () => {
    // hashcat example hashes, mode 10000 "Django (PBKDF2-SHA256)", password "hashcat".
    await expectVerifies('pbkdf2_sha256$10000$1135411628$bFYX62rfJobJ07VwrUMXfuffLfj2RDM2G6/BrTrUWkE=', 'hashcat', 'pbkdf2-django');
    // djangohashers (Rust port of Django's hashers), its test of make_password("letmein", "seasalt") for Django 1.4.
    await expectVerifies('pbkdf2_sha256$10000$seasalt$FQCNpiZpTb0zub+HBsH6TOwyRxJ19FwvjbweatNmK/Y=', 'letmein', 'pbkdf2-django');
  });

  test.each([
    ['pbkdf2', 'sha1', 20],
    ['pbkdf2-sha256', 'sha256', 32],
    ['pbkdf2-sha512', 'sha512', 64],
  ] as const)('passlib $%s$ with adapted base64 verifies', async (ident, digest, length) => {
    const salt = randomBytes(16);
    const hash = `$${ident}$1100$${ab64(salt)}$${ab64(pbkdf2Sync(PASSWORD, salt, 1100, length, digest))}`;
    await expectVerifies(hash, PASSWORD, 'pbkdf2-passlib');
  });

  test('passlib published vector', async () => {
    // passlib documentation, passlib.hash.pbkdf2_sha256 usage example, password "password".
    await expectVerifies('$pbkdf2-sha256$6400$0ZrzXitFSGltTQnBWOsdAw$Y11AchqV4b0sUisdZd0Xr97KWoymNE0LNNrnEgY4H9M', 'password', 'pbkdf2-passlib');
  });

  test('ASP.NET Identity v2 (0x00 | salt16 | subkey32, HMAC-SHA1 × 1000) verifies', async () => {
    const salt = randomBytes(16);
    const hash = Buffer.concat([Buffer.from([0]), salt, pbkdf2Sync(PASSWORD, salt, 1000, 32, 'sha1')]).toString('base64');
    await expectVerifies(hash, PASSWORD, 'pbkdf2-aspnet-identity');
  });

  test.each([[0, 'sha1'], [1, 'sha256'], [2, 'sha512']] as const)('ASP.NET Identity v3 with PRF %i (%s) verifies', async (prf, digest) => {
    const salt = randomBytes(16);
    await expectVerifies(aspNetV3(prf, 1500, salt, pbkdf2Sync(PASSWORD, salt, 1500, 32, digest)), PASSWORD, 'pbkdf2-aspnet-identity');
  });

  test('ASP.NET Identity v3 published layout example (Microsoft PasswordHasher: PRF HMAC-SHA256, 10000 iterations, 128-bit salt)', async () => {
    // The layout is Microsoft's (aspnetcore src/Identity/Extensions.Core/src/PasswordHasher.cs); the vector is built
    // here with node:crypto because Microsoft's docs publish none.
    const salt = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    await expectVerifies(aspNetV3(1, 10000, salt, pbkdf2Sync('P@ssw0rd', salt, 10000, 32, 'sha256')), 'P@ssw0rd', 'pbkdf2-aspnet-identity');
  });
});

describe('scrypt', () => {
  test('passlib $scrypt$ built with node:crypto verifies', async () => {
    const salt = randomBytes(16);
    const hash = `$scrypt$ln=10,r=8,p=1$${ab64(salt)}$${ab64(scryptSync(PASSWORD, salt, 32, { N: 1024, r: 8, p: 1 }))}`;
    await expectVerifies(hash, PASSWORD, 'scrypt');
  });

  test('published vector', async () => {
    // passlib documentation, passlib.hash.scrypt usage example (https://passlib.readthedocs.io/en/stable/lib/passlib.hash.scrypt.html).
    await expectVerifies('$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E', 'password', 'scrypt');
  });

  test('a cost that would need more than 256 MiB is not recognised', () => {
    expect(recogniseHash('$scrypt$ln=20,r=16,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E')).toBeUndefined();
  });
});

describe('Firebase modified scrypt', () => {
  // The sample from Firebase's scrypt repository README (https://github.com/firebase/scrypt#password-hashing).
  const firebase: LegacyHashSettings = {
    firebaseScrypt: {
      signerKey: 'jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==',
      saltSeparator: 'Bw==',
      rounds: 8,
      memCost: 14,
    },
  };
  const published = '$firebase-scrypt$42xEC+ixf3L2lw==$lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==';

  test('published vector', async () => {
    await expectVerifies(published, 'user1password', 'firebase-scrypt', firebase);
  });

  test('a hash built with the published algorithm and other project parameters verifies', async () => {
    const project = { signerKey: randomBytes(64).toString('base64'), saltSeparator: randomBytes(2).toString('base64'), rounds: 4, memCost: 10 };
    const salt = randomBytes(12);
    const key = scryptSync(PASSWORD, Buffer.concat([salt, Buffer.from(project.saltSeparator, 'base64')]), 64, { N: 1024, r: 4, p: 1 });
    const cipher = createCipheriv('aes-256-ctr', key.subarray(0, 32), Buffer.alloc(16));
    const hash = Buffer.concat([cipher.update(Buffer.from(project.signerKey, 'base64')), cipher.final()]);
    await expectVerifies(`$firebase-scrypt$${salt.toString('base64')}$${hash.toString('base64')}`, PASSWORD, 'firebase-scrypt', { firebaseScrypt: project });
  });

  test('without the project parameters it never verifies', async () => {
    expect(await verifyStoredHash(published, 'user1password', none)).toEqual({ valid: false, weak: false });
  });
});

describe('argon2 with other parameters', () => {
  test.each([argon2.argon2i, argon2.argon2id, argon2.argon2d] as const)('type %i made by the argon2 package verifies', async (type: 0 | 1 | 2) => {
    const hash = await argon2.hash(PASSWORD, { type, memoryCost: 4096, timeCost: 3, parallelism: 2 });
    await expectVerifies(hash, PASSWORD, 'argon2');
  });

  test('published vector', async () => {
    // passlib documentation, passlib.hash.argon2 usage example, password "password".
    await expectVerifies('$argon2i$v=19$m=512,t=2,p=2$aI2R0hpDyLm3ltLa+1/rvQ$LqPKjd6n8yniKtAithoR7A', 'password', 'argon2');
  });
});

describe('salted digests (weak)', () => {
  test.each(['md5', 'sha256', 'sha512'])('%s$salt$hex = hex(DIGEST(salt ‖ password)) verifies and is flagged weak', async (algorithm) => {
    const salt = 'x9Qw2';
    const hash = `${algorithm}$${salt}$${createHash(algorithm).update(salt + PASSWORD).digest('hex')}`;
    await expectVerifies(hash, PASSWORD, 'salted-digest');
    expect((await verifyStoredHash(hash, PASSWORD, none)).weak).toBe(true);
  });

  test('published vector', async () => {
    // RFC 1321 appendix A.5 test suite: MD5("abc") = 900150983cd24fb0d6963f7d28e17f72, read as salt "a" + password "bc".
    await expectVerifies('md5$a$900150983cd24fb0d6963f7d28e17f72', 'bc', 'salted-digest');
    // FIPS 180-2 appendix B.1: SHA-256("abc").
    await expectVerifies('sha256$ab$ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'c', 'salted-digest');
  });
});

describe('unknown and garbled formats', () => {
  test.each([
    ['empty', ''],
    ['plain text', 'hunter2'],
    ['unsalted md5', '5f4dcc3b5aa765d61d8327deb882cf99'],
    ['crypt sha512', '$6$rounds=5000$salt$abcdefghijklmnopqrstuv'],
    ['bcrypt cut short', '$2b$10$abcdefghijklmnopqrstuv'],
    ['Django unknown algorithm', 'pbkdf2_sha384$1000$salt$aGFzaGhhc2hoYXNoaGFzaA=='],
    ['Django zero iterations', 'pbkdf2_sha256$0$salt$FQCNpiZpTb0zub+HBsH6TOwyRxJ19FwvjbweatNmK/Y='],
    ['Django absurd iterations', 'pbkdf2_sha256$99999999999$salt$FQCNpiZpTb0zub+HBsH6TOwyRxJ19FwvjbweatNmK/Y='],
    ['salted sha256 with a short digest', 'sha256$salt$abcd'],
    ['ASP.NET v3 with an unknown PRF', aspNetV3(7, 1000, randomBytes(16), randomBytes(32))],
    ['a huge string', `$2b$10$${'a'.repeat(5000)}`],
  ])('%s is not recognised and never verifies', async (_name, hash) => {
    expect(recogniseHash(hash)).toBeUndefined();
    expect((await verifyStoredHash(hash, 'hunter2', none)).valid).toBe(false);
  });
});
