// Sign-up form fields.
import { z } from 'zod';
import { emailField, passwordField } from '../shared/input.ts';

export const registrationForm = z.object({ email: emailField, password: passwordField });
