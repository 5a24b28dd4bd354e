ALTER TABLE "report_obligations" ADD COLUMN "request_note" text;--> statement-breakpoint
ALTER TABLE "reporting_regimes" ADD COLUMN "version" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
-- An ad hoc report's note is still what its request asked for until a return replaces it: keep that text.
UPDATE "report_obligations" o SET "request_note" = o."note"
FROM "reporting_regimes" r
WHERE r."id" = o."regime_id" AND r."frequency" = 'ad_hoc' AND o."status" <> 'tra_lai' AND o."note" IS NOT NULL;
