// Email verification form fields.
import { z } from 'zod';
import { codeField } from '../shared/input.ts';

export const verificationForm = z.object({ code: codeField });
