-- DropIndex
DROP INDEX "security_events_type_createdAt_idx";

-- DropIndex
DROP INDEX "security_events_userId_createdAt_idx";

-- AlterTable
ALTER TABLE "security_events" ADD COLUMN     "actorId" UUID;

-- CreateIndex
CREATE INDEX "security_events_userId_createdAt_id_idx" ON "security_events"("userId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "security_events_actorId_createdAt_id_idx" ON "security_events"("actorId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "security_events_type_createdAt_id_idx" ON "security_events"("type", "createdAt", "id");

-- CreateIndex
CREATE INDEX "security_events_createdAt_id_idx" ON "security_events"("createdAt", "id");

-- AddForeignKey
ALTER TABLE "security_events" ADD CONSTRAINT "security_events_actorId_fkey" FOREIGN KEY ("actorId") REFERENCES "users"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- Backfill the actor of the events recorded before this column, where the code that wrote them
-- always knew it. Administrators' actions (USER_DISABLED, USER_ENABLED, ROLE_CHANGED, USER_DELETED)
-- named the actor in details.by (an account deleting itself named itself).
UPDATE "security_events" AS e
SET "actorId" = u."id"
FROM "users" AS u
WHERE e."actorId" IS NULL AND u."id"::text = e."details"->>'by';

-- These were only ever recorded for the account's own actions (signed in, or with a link mailed to it).
UPDATE "security_events"
SET "actorId" = "userId"
WHERE "actorId" IS NULL AND "userId" IS NOT NULL AND (
  "type" IN (
    'LOGIN_SUCCEEDED', 'PASSWORD_CHANGED', 'PASSWORD_RESET', 'EMAIL_VERIFIED', 'EMAIL_CHANGED',
    'EMAIL_CHANGE_REQUESTED', 'EMAIL_CHANGE_CANCELLED', 'SESSION_REVOKED'
  )
  OR ("type" = 'ALL_SESSIONS_REVOKED'
      AND "details"->>'reason' IN ('LOGOUT_ALL', 'PASSWORD_CHANGED', 'PASSWORD_RESET', 'EMAIL_CHANGE_CANCELLED'))
);
-- The rest keep no actor: failed sign-ins, lockouts, reset requests and refused refresh tokens had
-- none, and the administrator behind an older role change's or disable's ALL_SESSIONS_REVOKED was
-- only named on the event recorded next to it.
