-- AlterTable
ALTER TABLE "subscriptions" ADD COLUMN     "pastDueSince" TIMESTAMP(3);

-- Subscriptions already past due: their grace period runs from the last state the provider sent.
UPDATE "subscriptions" SET "pastDueSince" = "providerUpdatedAt" WHERE "status" = 'PAST_DUE';
