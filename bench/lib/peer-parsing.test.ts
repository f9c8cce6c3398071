// The peer benchmark's parsing (no Keycloak download here: CI must not fetch it): the inputs are excerpts of what
// Maven Central, `java -version` and Keycloak 26.7.3 really answered.
import { checksumOf, describePolicy, javaMajor, keycloakHashPolicy, latestRelease, loginFormAction, phcArgon2Parameters } from './peer-parsing.ts';

describe('peer benchmark parsing', () => {
  it('picks the newest 26.x release from maven-metadata.xml, ignoring other majors and qualifiers', () => {
    const xml = `<metadata><versioning><latest>27.0.0-rc1</latest><versions>
      <version>25.0.6</version><version>26.0.8</version><version>26.5.6</version><version>26.10.0</version>
      <version>26.7.3</version><version>26.11.0-SNAPSHOT</version><version>27.0.0-rc1</version>
    </versions></versioning></metadata>`;
    expect(latestRelease(xml, 26)).toBe('26.10.0');
    expect(latestRelease(xml, 24)).toBeUndefined();
  });

  it('reads a checksum file with or without the file name, and refuses anything else', () => {
    const sha256 = '77657f30b7e90d70f727712ce1c967f430fd6a5e9f458d32d8c6df0635345f47';
    expect(checksumOf(`${sha256}\n`, 64)).toBe(sha256);
    expect(checksumOf(`${sha256.toUpperCase()}  keycloak-quarkus-dist-26.7.3.tar.gz\n`, 64)).toBe(sha256);
    expect(checksumOf('<html>Not Found</html>', 64)).toBeUndefined();
    expect(checksumOf(sha256, 40)).toBeUndefined();
  });

  it('reads the feature release from java -version', () => {
    expect(javaMajor('openjdk version "25.0.3" 2026-04-21 LTS\nOpenJDK Runtime Environment Temurin-25.0.3+9')).toBe(25);
    expect(javaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(javaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(javaMajor('java version "1.8.0_402"')).toBe(8);
    expect(javaMajor('bash: java: command not found')).toBeUndefined();
  });

  it("finds the login form's action with its query entities decoded", () => {
    const html = `<div id="kc-form"><form id="kc-form-login" class="pf-v5-c-form pf-v5-u-w-100" onsubmit="login.disabled = true; return true;" action="http://127.0.0.1:18480/realms/bench/login-actions/authenticate?session_code=VcX8OANNSBLieA13wG59BBUuXQjKuUL_5AK7UyDYpYM&amp;execution=1b4fed47-0297-4e85-ad51-4679ad044a14&amp;client_id=bench-app&amp;tab_id=MCaVbtsl6xE&amp;client_data=eyJydSI6Imh0dHA6Ly8xMjcuMC4wLjE6OS9jYWxsYmFjayIsInJ0IjoiY29kZSIsInN0IjoicyJ9" method="post" novalidate="novalidate">`;
    const action = new URL(loginFormAction(html)!);
    expect(action.pathname).toBe('/realms/bench/login-actions/authenticate');
    expect(action.searchParams.get('session_code')).toBe('VcX8OANNSBLieA13wG59BBUuXQjKuUL_5AK7UyDYpYM');
    expect(action.searchParams.get('execution')).toBe('1b4fed47-0297-4e85-ad51-4679ad044a14');
    expect(action.searchParams.get('client_id')).toBe('bench-app');
    expect(action.searchParams.get('tab_id')).toBe('MCaVbtsl6xE');
  });

  it('ignores other forms (language picker, social buttons) and answers undefined without a login form', () => {
    const html = '<form id="kc-locale" action="/x?a=1&amp;b=2"></form><form action="/other"><form id="kc-form-login" method="post" action="/realms/r/login-actions/authenticate?a=1&#38;b=&#x32;">';
    expect(loginFormAction(html)).toBe('/realms/r/login-actions/authenticate?a=1&b=2');
    expect(loginFormAction('<p>We are sorry... Invalid parameter: redirect_uri</p>')).toBeUndefined();
  });

  it("reads Keycloak's password hashing policy from a credential's data", () => {
    const argon = '{"hashIterations":5,"algorithm":"argon2","additionalParameters":{"hashLength":["32"],"memory":["7168"],"type":["id"],"version":["1.3"],"parallelism":["1"]}}';
    const policy = keycloakHashPolicy(argon)!;
    expect(policy).toEqual({ algorithm: 'argon2', iterations: 5, memoryKiB: 7168, parallelism: 1, type: 'id', hashLength: 32, version: '1.3' });
    expect(describePolicy(policy)).toBe('argon2id m=7168 KiB t=5 p=1');
    const pbkdf2 = keycloakHashPolicy('{"hashIterations":210000,"algorithm":"pbkdf2-sha512","additionalParameters":{}}')!;
    expect(describePolicy(pbkdf2)).toBe('pbkdf2-sha512 210000 iterations');
    expect(keycloakHashPolicy('not json')).toBeUndefined();
    expect(keycloakHashPolicy('{"algorithm":"argon2"}')).toBeUndefined();
  });

  it('reads argon2 parameters from a PHC string', () => {
    expect(phcArgon2Parameters('$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g')).toEqual({ type: 'id', memoryKiB: 19456, iterations: 2, parallelism: 1 });
    expect(phcArgon2Parameters('$argon2id$v=19$m=19456,p=1,t=2$LoZwXN4mjStInNaV5Wgtfw$Y9ofWf5v8KpyMR0Bl')).toEqual({ type: 'id', memoryKiB: 19456, iterations: 2, parallelism: 1 });
    expect(phcArgon2Parameters('$argon2i$m=4096,t=3$c2FsdA$aGFzaA')).toBeUndefined();
    expect(phcArgon2Parameters('$2b$10$abcdefghijklmnopqrstuv')).toBeUndefined();
  });
});
