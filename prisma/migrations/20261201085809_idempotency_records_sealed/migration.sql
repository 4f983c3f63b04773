-- The records held client keys and replayable responses (checkout and portal URLs, bearer links)
-- in plain text. Neither can be converted without the server secret, and records live 24 hours:
-- they go. A retry of a request made before this migration runs it again (with Stripe, its own
-- idempotency key still deduplicates it).
DELETE FROM "idempotency_records";

-- DropIndex
DROP INDEX "idempotency_records_userId_key_key";

-- AlterTable
ALTER TABLE "idempotency_records" DROP COLUMN "key",
ADD COLUMN     "keyHash" TEXT NOT NULL,
DROP COLUMN "responseBody",
ADD COLUMN     "responseBody" BYTEA;

-- CreateIndex
CREATE UNIQUE INDEX "idempotency_records_userId_keyHash_key" ON "idempotency_records"("userId", "keyHash");
