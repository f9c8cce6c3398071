// Port: outgoing email (SMTP in deployments, a dev outbox otherwise).
export interface OutgoingEmail {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(message: OutgoingEmail): Promise<void>;
  close(): Promise<void>;
}
