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

-- Written by hand below this line: Prisma's schema cannot express triggers. Each trigger appends
-- the change a row makes to the metrics of DESIGN §6; metrics/api.ts folds them into metric_totals.
CREATE FUNCTION metric_delta(p_metric TEXT, p_labels JSONB, p_delta BIGINT) RETURNS VOID LANGUAGE sql AS $$
  INSERT INTO metric_deltas (metric, labels, delta) SELECT p_metric, p_labels::text, p_delta WHERE p_delta <> 0
$$;

CREATE FUNCTION records_metric_deltas() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM metric_delta('records_total', jsonb_build_object('status', OLD.status), -1); END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM metric_delta('records_total', jsonb_build_object('status', NEW.status), 1); END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER records_metric_deltas AFTER INSERT OR DELETE OR UPDATE OF status ON records
  FOR EACH ROW EXECUTE FUNCTION records_metric_deltas();

CREATE FUNCTION charges_metric_deltas() RETURNS TRIGGER LANGUAGE plpgsql AS $$
DECLARE
  before_rows INT := 0; after_rows INT := 0; before_refunds INT := 0; after_refunds INT := 0; before_dups BIGINT := 0; after_dups BIGINT := 0;
BEGIN
  IF TG_OP <> 'INSERT' THEN before_rows := 1; before_refunds := (OLD.status = 'refunded')::INT; before_dups := OLD.duplicate_attempts; END IF;
  IF TG_OP <> 'DELETE' THEN after_rows := 1; after_refunds := (NEW.status = 'refunded')::INT; after_dups := NEW.duplicate_attempts; END IF;
  PERFORM metric_delta('charges_total', '{}', after_rows - before_rows);
  PERFORM metric_delta('refunds_total', '{}', after_refunds - before_refunds);
  PERFORM metric_delta('duplicate_charges_prevented_total', '{}', after_dups - before_dups);
  RETURN NULL;
END $$;
CREATE TRIGGER charges_metric_deltas AFTER INSERT OR DELETE OR UPDATE OF status, duplicate_attempts ON charges
  FOR EACH ROW EXECUTE FUNCTION charges_metric_deltas();

CREATE FUNCTION model_calls_metric_deltas() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN
    PERFORM metric_delta('model_calls_total', jsonb_build_object('provider', OLD.provider, 'outcome', OLD.outcome), -1);
    PERFORM metric_delta('model_cost_micros_total', jsonb_build_object('provider', OLD.provider), -OLD.cost_micros);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    PERFORM metric_delta('model_calls_total', jsonb_build_object('provider', NEW.provider, 'outcome', NEW.outcome), 1);
    PERFORM metric_delta('model_cost_micros_total', jsonb_build_object('provider', NEW.provider), NEW.cost_micros);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER model_calls_metric_deltas AFTER INSERT OR DELETE OR UPDATE OF provider, outcome, cost_micros ON model_calls
  FOR EACH ROW EXECUTE FUNCTION model_calls_metric_deltas();

CREATE FUNCTION record_results_metric_deltas() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP <> 'INSERT' THEN PERFORM metric_delta('results_total', jsonb_build_object('tier', OLD.tier), -1); END IF;
  IF TG_OP <> 'DELETE' THEN PERFORM metric_delta('results_total', jsonb_build_object('tier', NEW.tier), 1); END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER record_results_metric_deltas AFTER INSERT OR DELETE OR UPDATE OF tier ON record_results
  FOR EACH ROW EXECUTE FUNCTION record_results_metric_deltas();

-- The totals of the rows already here; a row written while this runs may be counted once too few
-- or too many, so migrate with the writers stopped (the compose migrate job runs before them).
INSERT INTO metric_totals (metric, labels, value)
SELECT 'records_total', jsonb_build_object('status', status)::text, count(*) FROM records GROUP BY status
UNION ALL SELECT 'charges_total', '{}', count(*) FROM charges
UNION ALL SELECT 'refunds_total', '{}', count(*) FILTER (WHERE status = 'refunded') FROM charges
UNION ALL SELECT 'duplicate_charges_prevented_total', '{}', coalesce(sum(duplicate_attempts), 0) FROM charges
UNION ALL SELECT 'model_calls_total', jsonb_build_object('provider', provider, 'outcome', outcome)::text, count(*) FROM model_calls GROUP BY provider, outcome
UNION ALL SELECT 'model_cost_micros_total', jsonb_build_object('provider', provider)::text, sum(cost_micros) FROM model_calls GROUP BY provider
UNION ALL SELECT 'results_total', jsonb_build_object('tier', tier)::text, count(*) FROM record_results GROUP BY tier;
