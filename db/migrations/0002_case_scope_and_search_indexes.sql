CREATE INDEX "case_units_unit_role_case_idx" ON "case_units" USING btree ("unit_id","role","case_id");--> statement-breakpoint
CREATE INDEX "cases_received_idx" ON "cases" USING btree ("received_at","id");--> statement-breakpoint
-- Edited by hand from here: pg_trgm is created where it can be (a trusted extension on PostgreSQL 13+; embedded
-- PGlite does not load it), and the trigram index only where the extension exists. Search works without it.
DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN OTHERS THEN
  RAISE NOTICE 'pg_trgm is not available (%): case search runs without cases_search_trgm_idx', SQLERRM;
END $$;--> statement-breakpoint
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    CREATE INDEX IF NOT EXISTS "cases_search_trgm_idx" ON "cases" USING gin ("search_text" gin_trgm_ops);
  END IF;
EXCEPTION WHEN undefined_object THEN
  -- pg_trgm installed in a schema outside the search_path: its operator class is not visible here.
  RAISE NOTICE 'gin_trgm_ops is not visible (%): case search runs without cases_search_trgm_idx', SQLERRM;
END $$;--> statement-breakpoint
-- The planner's guess for LIKE '%word%' comes from the column histogram: 1,000 entries tell a 2 % word from a
-- 0.01 % one, so common words keep the id-ordered scan and rare ones use the trigram index.
ALTER TABLE "cases" ALTER COLUMN "search_text" SET STATISTICS 1000;
