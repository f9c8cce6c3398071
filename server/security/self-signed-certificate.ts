// RSA keys with self-signed X.509 certificates for SAML (our SP's encryption key, our IdP's signing key): SAML metadata carries certificates, not bare keys.
import { webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';

/**
 * @peculiar/x509 (with reflect-metadata, its ASN.1 schemas and tsyringe) is loaded when a certificate is first made,
 * not at boot: only SAML uses it, and a server without SAML would keep it resident for nothing.
 */
let loading: Promise<typeof X509> | undefined;
function x509Library(): Promise<typeof X509> {
  loading ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    // @peculiar/x509 signs with WebCrypto; Node's is the standard one.
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    return x509;
  })();
  return loading;
}

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };

export interface KeyAndCertificate {
  /** PKCS#8 PEM: seal it before it is stored. */
  privateKeyPem: string;
  certificatePem: string;
}

/**
 * A fresh RSA-2048 key and a self-signed SHA-256 certificate for it. Self-signed is what SAML expects: peers
 * trust the exact certificate from metadata, not a CA chain. Valid from a day ago (peers' clocks) for `years`.
 */
export async function selfSignedRsaCertificate(commonName: string, years = 5): Promise<KeyAndCertificate> {
  const keys = await webcrypto.subtle.generateKey(RSA, true, ['sign', 'verify']) as CryptoKeyPair;
  const notBefore = new Date(Date.now() - 86_400_000);
  const notAfter = new Date(notBefore.getTime() + years * 365 * 86_400_000);
  const serialNumber = Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1');
  const x509 = await x509Library();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber, name: `CN=${commonName.replace(/[,+="\\<>;#]/g, ' ').slice(0, 64)}`, notBefore, notAfter, signingAlgorithm: RSA, keys,
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  return {
    privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`,
    certificatePem: certificate.toString('pem'),
  };
}
