// Builds the purpose consent service from the configuration and the store (kept out of the composition root).
import type { Config } from '../../../config/index.ts';
import { translate } from '../../i18n/messages.ts';
import type { SigningKeys } from '../keys/key-service.ts';
import type { Storage } from '../storage.ts';
import { jwsReceiptSigner } from './consent-receipt.ts';
import { PurposeConsentService } from './purpose-consent-service.ts';

export function purposeConsentService(config: Config, storage: Storage, keys: SigningKeys): PurposeConsentService {
  return new PurposeConsentService({
    store: storage.purposeConsents,
    catalogue: config.consent.catalogue,
    terms: { version: config.consent.termsVersion, url: config.consent.termsUrl },
    signer: jwsReceiptSigner(keys, config.issuer),
    // The program is the receipts' piiController: its configured name, else the catalogue's.
    controller: { name: config.branding.programName?.default ?? translate('en', 'common.site_name'), url: config.issuer },
    imported: storage.memberImports,
  });
}
