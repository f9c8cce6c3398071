// What a partner is made of when staff create or rename one (admin API and operator console alike).
import { z } from 'zod';
import { textField } from '../text.ts';

export const partnerInput = z.object({ name: textField(100) }).strict();

export type PartnerInput = z.output<typeof partnerInput>;
