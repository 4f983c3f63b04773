-- CreateIndex
CREATE INDEX "user_tokens_email_purpose_idx" ON "user_tokens"("email", "purpose");
