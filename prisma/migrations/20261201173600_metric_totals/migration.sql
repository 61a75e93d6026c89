-- CreateTable
CREATE TABLE "metric_deltas" (
    "id" BIGSERIAL NOT NULL,
    "metric" TEXT NOT NULL,
    "labels" TEXT NOT NULL,
    "delta" BIGINT NOT NULL,

    CONSTRAINT "metric_deltas_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "metric_totals" (
    "metric" TEXT NOT NULL,
    "labels" TEXT NOT NULL,
    "value" BIGINT NOT NULL,

    CONSTRAINT "metric_totals_pkey" PRIMARY KEY ("metric","labels")
);
