// SQLite store of our SAML IdP signing key (sealed) and its certificate.
import type { DatabaseSync } from 'node:sqlite';
import type { SamlIdpKeysRepository, StoredSamlIdpKey } from '../../server/domain/saml-idp/saml-idp-keys.repository.ts';
import { date, text, type Row } from './rows.ts';

function toKey(row: Row): StoredSamlIdpKey {
  return { id: text(row, 'id'), certificatePem: text(row, 'certificate'), sealedPrivateKey: text(row, 'sealed_private_key'), createdAt: date(row, 'created_at') };
}

export class SqliteSamlIdpKeysRepository implements SamlIdpKeysRepository {
  private readonly currentStmt;
  private readonly insertStmt;

  constructor(db: DatabaseSync) {
    this.currentStmt = db.prepare('SELECT id, certificate, sealed_private_key, created_at FROM saml_idp_keys ORDER BY created_at DESC, id DESC LIMIT 1');
    this.insertStmt = db.prepare('INSERT INTO saml_idp_keys (id, certificate, sealed_private_key, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
  }

  async current(): Promise<StoredSamlIdpKey | undefined> {
    const row = this.currentStmt.get();
    return row ? toKey(row) : undefined;
  }

  async insertIfAbsent(key: StoredSamlIdpKey): Promise<boolean> {
    return Number(this.insertStmt.run(key.id, key.certificatePem, key.sealedPrivateKey, key.createdAt.getTime()).changes) > 0;
  }
}
