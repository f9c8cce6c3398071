// Password recovery form fields.
import { z } from 'zod';
import { codeField, emailField, passwordField } from '../shared/input.ts';

export const forgotForm = z.object({ email: emailField });
export const resetForm = z.object({ code: codeField, password: passwordField });
