-- AlterTable
ALTER TABLE "charges" ADD COLUMN     "account_id" TEXT NOT NULL DEFAULT 'default',
ADD COLUMN     "billed_via" TEXT NOT NULL DEFAULT 'ledger',
ADD COLUMN     "charged_at" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "inference_outputs" ADD COLUMN     "tier" TEXT NOT NULL DEFAULT 'model';

-- AlterTable
ALTER TABLE "model_calls" ADD COLUMN     "repaired" BOOLEAN NOT NULL DEFAULT false;

-- AlterTable
ALTER TABLE "records" ADD COLUMN     "account_id" TEXT NOT NULL DEFAULT 'default',
ADD COLUMN     "currency" TEXT,
ADD COLUMN     "price_cents" INTEGER,
ADD COLUMN     "record_key" TEXT;

-- CreateTable
CREATE TABLE "accounts" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "price_cents" INTEGER,
    "currency" TEXT NOT NULL DEFAULT 'usd',
    "budget_cents" INTEGER,
    "stripe_customer_id" TEXT,
    "budget_month" DATE,
    "reserved_cents" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,
    "deleted_at" TIMESTAMP(3),

    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_keys" (
    "id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMP(3),

    CONSTRAINT "api_keys_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "record_results" (
    "id" TEXT NOT NULL,
    "record_id" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "tier" TEXT NOT NULL,
    "output" JSONB NOT NULL,
    "output_hash" TEXT NOT NULL,
    "confidence" DOUBLE PRECISION NOT NULL,
    "actor_key_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "record_results_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "api_keys_hash_key" ON "api_keys"("hash");

-- CreateIndex
CREATE INDEX "api_keys_account_id_idx" ON "api_keys"("account_id");

-- CreateIndex
CREATE UNIQUE INDEX "record_results_record_id_key" ON "record_results"("record_id");

-- CreateIndex
CREATE INDEX "record_results_tier_idx" ON "record_results"("tier");

-- CreateIndex
CREATE INDEX "charges_account_id_created_at_idx" ON "charges"("account_id", "created_at");

-- CreateIndex
CREATE INDEX "records_account_id_created_at_id_idx" ON "records"("account_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "records_account_id_input_hash_idx" ON "records"("account_id", "input_hash");

-- CreateIndex
CREATE UNIQUE INDEX "records_account_id_record_key_key" ON "records"("account_id", "record_key");

-- AddForeignKey
ALTER TABLE "api_keys" ADD CONSTRAINT "api_keys_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "record_results" ADD CONSTRAINT "record_results_record_id_fkey" FOREIGN KEY ("record_id") REFERENCES "records"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
