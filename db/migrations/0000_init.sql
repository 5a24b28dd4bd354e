CREATE TYPE "public"."case_priority" AS ENUM('normal', 'urgent', 'complex');--> statement-breakpoint
CREATE TYPE "public"."case_rating" AS ENUM('hai_long', 'chap_nhan', 'chua_hai_long');--> statement-breakpoint
CREATE TYPE "public"."case_status" AS ENUM('received', 'assigned', 'in_progress', 'awaiting_info', 'pending_approval', 'answered', 'closed', 'refused', 'merged');--> statement-breakpoint
CREATE TYPE "public"."contact_kind" AS ENUM('citizen', 'business');--> statement-breakpoint
CREATE TYPE "public"."official_role" AS ENUM('dispatcher', 'handler', 'unit_leader', 'admin', 'viewer');--> statement-breakpoint
CREATE TYPE "public"."report_frequency" AS ENUM('monthly', 'quarterly', 'six_month', 'nine_month', 'annual', 'ad_hoc');--> statement-breakpoint
CREATE TYPE "public"."report_status" AS ENUM('chua_nop', 'da_nop', 'nop_muon', 'tra_lai');--> statement-breakpoint
CREATE TYPE "public"."sla_step" AS ENUM('triage', 'accept', 'answer', 'approval');--> statement-breakpoint
CREATE TYPE "public"."sla_unit" AS ENUM('working_days', 'working_hours');--> statement-breakpoint
CREATE TYPE "public"."unit_kind" AS ENUM('city', 'office', 'department', 'agency', 'ward', 'commune');--> statement-breakpoint
CREATE TABLE "api_tokens" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"official_id" integer,
	"scopes" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp with time zone,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "attachments" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"case_id" bigint,
	"message_id" bigint,
	"zalo_user_id" text,
	"kind" text NOT NULL,
	"source_url" text,
	"storage_path" text,
	"file_name" text,
	"mime" text,
	"size" integer,
	"sha256" text,
	"status" text DEFAULT 'pending' NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "calendar_days" (
	"day" date PRIMARY KEY NOT NULL,
	"working" boolean NOT NULL,
	"reason" text NOT NULL,
	"source" text
);
--> statement-breakpoint
CREATE TABLE "case_counters" (
	"year" integer PRIMARY KEY NOT NULL,
	"last" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "case_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"case_id" bigint NOT NULL,
	"actor_type" text NOT NULL,
	"actor_id" text,
	"action" text NOT NULL,
	"from_status" "case_status",
	"to_status" "case_status",
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "case_units" (
	"case_id" bigint NOT NULL,
	"unit_id" integer NOT NULL,
	"role" text NOT NULL,
	"added_at" timestamp with time zone NOT NULL,
	CONSTRAINT "case_units_case_id_unit_id_pk" PRIMARY KEY("case_id","unit_id")
);
--> statement-breakpoint
CREATE TABLE "cases" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"status" "case_status" DEFAULT 'received' NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"channel" text NOT NULL,
	"contact_kind" "contact_kind" DEFAULT 'citizen' NOT NULL,
	"contact_id" integer,
	"category_id" integer,
	"priority" "case_priority" DEFAULT 'normal' NOT NULL,
	"title" text,
	"description" text NOT NULL,
	"address" text,
	"area_unit_id" integer,
	"latitude" double precision,
	"longitude" double precision,
	"responsible_unit_id" integer,
	"assignee_id" integer,
	"merged_into_id" bigint,
	"refusal_reason" text,
	"received_at" timestamp with time zone NOT NULL,
	"triage_due_at" timestamp with time zone,
	"accept_due_at" timestamp with time zone,
	"answer_due_at" timestamp with time zone,
	"paused_at" timestamp with time zone,
	"extension_count" integer DEFAULT 0 NOT NULL,
	"answer_text" text,
	"answer_drafted_by" integer,
	"answer_approved_by" integer,
	"answered_at" timestamp with time zone,
	"answered_on_time" boolean,
	"closed_at" timestamp with time zone,
	"rating" "case_rating",
	"reopen_count" integer DEFAULT 0 NOT NULL,
	"published_at" timestamp with time zone,
	"public_title" text,
	"public_question" text,
	"public_answer" text,
	"search_text" text DEFAULT '' NOT NULL,
	"consent_version" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "categories" (
	"id" serial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"description" text,
	"default_unit_id" integer,
	"route_to_area" boolean DEFAULT false NOT NULL,
	"sort_order" integer DEFAULT 0 NOT NULL,
	"active" boolean DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE TABLE "classifier_models" (
	"id" serial PRIMARY KEY NOT NULL,
	"trained_at" timestamp with time zone NOT NULL,
	"model" jsonb NOT NULL,
	"metrics" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "consents" (
	"id" serial PRIMARY KEY NOT NULL,
	"contact_id" integer NOT NULL,
	"purpose" text NOT NULL,
	"text_version" text NOT NULL,
	"channel" text NOT NULL,
	"granted_at" timestamp with time zone NOT NULL,
	"withdrawn_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "contacts" (
	"id" serial PRIMARY KEY NOT NULL,
	"kind" "contact_kind" DEFAULT 'citizen' NOT NULL,
	"zalo_user_id" text,
	"display_name" text,
	"full_name" text,
	"phone" text,
	"email" text,
	"address" text,
	"company_name" text,
	"tax_code" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "conversations" (
	"zalo_user_id" text PRIMARY KEY NOT NULL,
	"dialog" text,
	"step" text,
	"state" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "inbound_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"source" text DEFAULT 'zalo' NOT NULL,
	"dedupe_key" text NOT NULL,
	"event_name" text NOT NULL,
	"sender_id" text,
	"raw" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"processed_at" timestamp with time zone,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "legacy_units" (
	"id" serial PRIMARY KEY NOT NULL,
	"old_code" text NOT NULL,
	"old_full_name" text NOT NULL,
	"unit_id" integer NOT NULL,
	"share" text NOT NULL,
	"effective_to" date NOT NULL
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"case_id" bigint,
	"contact_id" integer,
	"official_id" integer,
	"zalo_user_id" text,
	"direction" text NOT NULL,
	"channel" text NOT NULL,
	"kind" text DEFAULT 'text' NOT NULL,
	"text" text,
	"payload" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"zalo_msg_id" text,
	"delivery_status" text NOT NULL,
	"error" text,
	"outbox_id" bigint,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "nudge_rules" (
	"id" serial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"step" "sla_step" NOT NULL,
	"offset_working_days" integer NOT NULL,
	"repeat_daily" boolean DEFAULT false NOT NULL,
	"target" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE TABLE "official_link_codes" (
	"code" text PRIMARY KEY NOT NULL,
	"official_id" integer NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "officials" (
	"id" serial PRIMARY KEY NOT NULL,
	"unit_id" integer NOT NULL,
	"login" text NOT NULL,
	"full_name" text NOT NULL,
	"title" text,
	"email" text,
	"phone" text,
	"zalo_user_id" text,
	"password_hash" text,
	"roles" "official_role"[] DEFAULT '{}'::official_role[] NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"on_leave_until" date,
	"is_demo" boolean DEFAULT false NOT NULL,
	"preferences" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"failed_logins" integer DEFAULT 0 NOT NULL,
	"locked_until" timestamp with time zone,
	"last_assigned_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"kind" text NOT NULL,
	"recipient" jsonb NOT NULL,
	"template" text,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"case_id" bigint,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"available_at" timestamp with time zone NOT NULL,
	"claimed_at" timestamp with time zone,
	"sent_at" timestamp with time zone,
	"channel" text,
	"last_error" text,
	"result" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "report_obligations" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"regime_id" integer NOT NULL,
	"unit_id" integer NOT NULL,
	"period_key" text NOT NULL,
	"period_start" date NOT NULL,
	"period_end" date NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"status" "report_status" DEFAULT 'chua_nop' NOT NULL,
	"submitted_at" timestamp with time zone,
	"submitted_by" text,
	"external_ref" text,
	"note" text,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reporting_regimes" (
	"id" serial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"legal_basis" text NOT NULL,
	"frequency" "report_frequency" NOT NULL,
	"cutoff_rule" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"deadline_rule" jsonb NOT NULL,
	"obliged_unit_kinds" text[] DEFAULT '{}'::text[] NOT NULL,
	"obliged_unit_ids" integer[] DEFAULT '{}'::integer[] NOT NULL,
	"receiving_unit_id" integer NOT NULL,
	"self_submit" boolean DEFAULT true NOT NULL,
	"active" boolean DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE TABLE "routing_rules" (
	"id" serial PRIMARY KEY NOT NULL,
	"category_id" integer,
	"area_unit_id" integer,
	"target_unit_id" integer,
	"route_to_area" boolean DEFAULT false NOT NULL,
	"priority" integer DEFAULT 100 NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"note" text
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"sid" text PRIMARY KEY NOT NULL,
	"data" jsonb NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sla_rules" (
	"id" serial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"step" "sla_step" NOT NULL,
	"category_id" integer,
	"priority" "case_priority",
	"limit_value" integer NOT NULL,
	"limit_unit" "sla_unit" NOT NULL,
	"start_event" text NOT NULL,
	"legal_source" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE TABLE "template_overrides" (
	"name" text PRIMARY KEY NOT NULL,
	"body" text NOT NULL,
	"updated_by" integer,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "units" (
	"id" serial PRIMARY KEY NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"full_name" text NOT NULL,
	"kind" "unit_kind" NOT NULL,
	"parent_id" integer,
	"effective_from" date NOT NULL,
	"effective_to" date,
	"requires_approval" boolean DEFAULT true NOT NULL,
	"assignment_strategy" text DEFAULT 'least_open' NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"meta" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "zalo_tokens" (
	"oa_id" text PRIMARY KEY NOT NULL,
	"access_token_enc" text NOT NULL,
	"refresh_token_enc" text NOT NULL,
	"access_expires_at" timestamp with time zone NOT NULL,
	"refresh_issued_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'ok' NOT NULL,
	"last_error" text,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "zalo_users" (
	"zalo_user_id" text PRIMARY KEY NOT NULL,
	"display_name" text,
	"is_follower" boolean DEFAULT false NOT NULL,
	"last_interaction_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "api_tokens_hash_uq" ON "api_tokens" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "attachments_case_idx" ON "attachments" USING btree ("case_id");--> statement-breakpoint
CREATE INDEX "attachments_user_idx" ON "attachments" USING btree ("zalo_user_id");--> statement-breakpoint
CREATE INDEX "case_events_case_idx" ON "case_events" USING btree ("case_id","id");--> statement-breakpoint
CREATE INDEX "case_units_unit_idx" ON "case_units" USING btree ("unit_id");--> statement-breakpoint
CREATE UNIQUE INDEX "cases_code_uq" ON "cases" USING btree ("code");--> statement-breakpoint
CREATE INDEX "cases_unit_status_idx" ON "cases" USING btree ("responsible_unit_id","status","id");--> statement-breakpoint
CREATE INDEX "cases_assignee_idx" ON "cases" USING btree ("assignee_id","status");--> statement-breakpoint
CREATE INDEX "cases_status_idx" ON "cases" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "cases_contact_idx" ON "cases" USING btree ("contact_id");--> statement-breakpoint
CREATE INDEX "cases_answer_due_idx" ON "cases" USING btree ("answer_due_at");--> statement-breakpoint
CREATE INDEX "cases_published_idx" ON "cases" USING btree ("published_at");--> statement-breakpoint
CREATE UNIQUE INDEX "categories_code_uq" ON "categories" USING btree ("code");--> statement-breakpoint
CREATE UNIQUE INDEX "contacts_zalo_uq" ON "contacts" USING btree ("zalo_user_id");--> statement-breakpoint
CREATE INDEX "contacts_phone_idx" ON "contacts" USING btree ("phone");--> statement-breakpoint
CREATE UNIQUE INDEX "inbound_events_key_uq" ON "inbound_events" USING btree ("source","dedupe_key");--> statement-breakpoint
CREATE INDEX "inbound_events_pending_idx" ON "inbound_events" USING btree ("status","id");--> statement-breakpoint
CREATE INDEX "inbound_events_sender_idx" ON "inbound_events" USING btree ("sender_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "legacy_units_uq" ON "legacy_units" USING btree ("old_code","unit_id");--> statement-breakpoint
CREATE INDEX "legacy_units_unit_idx" ON "legacy_units" USING btree ("unit_id");--> statement-breakpoint
CREATE INDEX "messages_case_idx" ON "messages" USING btree ("case_id","id");--> statement-breakpoint
CREATE INDEX "messages_zalo_user_idx" ON "messages" USING btree ("zalo_user_id","id");--> statement-breakpoint
CREATE INDEX "messages_zalo_msg_idx" ON "messages" USING btree ("zalo_msg_id");--> statement-breakpoint
CREATE UNIQUE INDEX "nudge_rules_code_uq" ON "nudge_rules" USING btree ("code");--> statement-breakpoint
CREATE UNIQUE INDEX "officials_login_uq" ON "officials" USING btree ("login");--> statement-breakpoint
CREATE UNIQUE INDEX "officials_zalo_uq" ON "officials" USING btree ("zalo_user_id");--> statement-breakpoint
CREATE INDEX "officials_unit_idx" ON "officials" USING btree ("unit_id");--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_key_uq" ON "outbox" USING btree ("key");--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "outbox" USING btree ("status","available_at");--> statement-breakpoint
CREATE INDEX "outbox_case_idx" ON "outbox" USING btree ("case_id");--> statement-breakpoint
CREATE UNIQUE INDEX "report_obligations_uq" ON "report_obligations" USING btree ("regime_id","unit_id","period_key");--> statement-breakpoint
CREATE INDEX "report_obligations_due_idx" ON "report_obligations" USING btree ("status","due_at");--> statement-breakpoint
CREATE INDEX "report_obligations_unit_idx" ON "report_obligations" USING btree ("unit_id","due_at");--> statement-breakpoint
CREATE UNIQUE INDEX "reporting_regimes_code_uq" ON "reporting_regimes" USING btree ("code");--> statement-breakpoint
CREATE INDEX "routing_rules_lookup_idx" ON "routing_rules" USING btree ("category_id","area_unit_id");--> statement-breakpoint
CREATE INDEX "sessions_expires_idx" ON "sessions" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "sla_rules_code_uq" ON "sla_rules" USING btree ("code");--> statement-breakpoint
CREATE UNIQUE INDEX "units_code_effective_uq" ON "units" USING btree ("code","effective_from");--> statement-breakpoint
CREATE INDEX "units_parent_idx" ON "units" USING btree ("parent_id");