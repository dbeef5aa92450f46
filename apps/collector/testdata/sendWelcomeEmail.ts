import { z } from "zod";
import { defineJob } from "@bfmono/apps/collector/worker/jobDefinition.ts";

export const sendWelcomeEmail = defineJob({
  type: "send_welcome_email",
  schema: z.object({ to: z.email(), name: z.string().default("friend") }),
  queue: "emails",
});

export const sendWelcomeEmailHandler = sendWelcomeEmail.handler(
  ({ to, name }, ctx) => {
    // A real handler calls a mailer here, keyed by ctx.jobId so a retry sends once.
    ctx.logger.info("welcome email sent", { to, name });
    return { sentTo: to };
  },
);
