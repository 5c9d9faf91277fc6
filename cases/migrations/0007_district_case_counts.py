"""Keep ``contacts_district.case_count`` equal to the district's number of cases, so that the first page of an
unfiltered case list needs no ``COUNT(*)`` (a district of 10,000 cases: 3 ms; every district, for an advisor:
about 30 ms).

Per statement, like the list generations of migration 0006: INSERT adds each district's new rows, DELETE takes
its rows away, an UPDATE that moves cases to another district moves their count, and TRUNCATE sets every count
to zero (which, as any update of a district row, also moves every list generation: migration 0006 had no
answer to TRUNCATE). cases/tests/test_listing_cache.py checks the counts against ``COUNT(*)`` after every kind
of write.

- Only these triggers and ``cases_recount_districts()`` write the count: the district row's own BEFORE trigger
  keeps the stored value against any other write (a Django ``save()`` of a district loaded earlier writes back
  the count it loaded; a fixture carries one), and a new district starts at zero.
- The ``case_totals_*`` triggers fire after 0006's ``case_list_*`` triggers of the same statement (PostgreSQL
  fires them in name order), which have already locked, in id order, every district whose count can change:
  one statement still takes district rows in id order.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION cases_case_count_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
    deltas bigint[];
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM 1 FROM contacts_district ORDER BY id FOR NO KEY UPDATE;
        UPDATE contacts_district SET case_count = 0;
        RETURN NULL;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(district_id ORDER BY district_id), array_agg(n ORDER BY district_id) INTO ids, deltas
        FROM (SELECT district_id, count(*) AS n FROM new_rows GROUP BY district_id) AS counted;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(district_id ORDER BY district_id), array_agg(-n ORDER BY district_id) INTO ids, deltas
        FROM (SELECT district_id, count(*) AS n FROM old_rows GROUP BY district_id) AS counted;
    ELSE
        SELECT array_agg(district_id ORDER BY district_id), array_agg(n ORDER BY district_id) INTO ids, deltas
        FROM (
            SELECT district_id, sum(delta) AS n
            FROM (
                SELECT o.district_id, -1 AS delta FROM old_rows o JOIN new_rows n ON n.id = o.id
                WHERE o.district_id <> n.district_id
                UNION ALL
                SELECT n.district_id, 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
                WHERE o.district_id <> n.district_id
            ) AS moved
            GROUP BY district_id
            HAVING sum(delta) <> 0
        ) AS counted;
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM 1 FROM contacts_district WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
        UPDATE contacts_district AS district SET case_count = district.case_count + counted.n
        FROM unnest(ids, deltas) AS counted (id, n)
        WHERE district.id = counted.id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER case_totals_insert AFTER INSERT ON cases_case
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_case_count_changed();
CREATE TRIGGER case_totals_update AFTER UPDATE ON cases_case
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_case_count_changed();
CREATE TRIGGER case_totals_delete AFTER DELETE ON cases_case
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_case_count_changed();
CREATE TRIGGER case_totals_truncate AFTER TRUNCATE ON cases_case
    FOR EACH STATEMENT EXECUTE FUNCTION cases_case_count_changed();

-- The district row's own trigger (migration 0006) now also guards the count.
CREATE OR REPLACE FUNCTION contacts_district_next_generation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    clock bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
    counting boolean := pg_trigger_depth() > 1 OR coalesce(current_setting('cases.recount', true), '') = 'on';
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.list_generation := clock;
        NEW.case_count := 0;
    ELSE
        NEW.list_generation := GREATEST(OLD.list_generation + 1, clock);
        IF NOT counting THEN
            NEW.case_count := OLD.case_count;
        END IF;
    END IF;
    RETURN NEW;
END
$$;

-- Counts every district again from its cases (after a restore that bypassed the triggers, for instance).
CREATE FUNCTION cases_recount_districts() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM set_config('cases.recount', 'on', true);
    PERFORM 1 FROM contacts_district ORDER BY id FOR NO KEY UPDATE;
    UPDATE contacts_district AS district SET case_count = coalesce(counted.n, 0)
    FROM contacts_district AS d
    LEFT JOIN (SELECT district_id, count(*) AS n FROM cases_case GROUP BY district_id) AS counted
        ON counted.district_id = d.id
    WHERE district.id = d.id;
    PERFORM set_config('cases.recount', 'off', true);
END
$$;
SELECT cases_recount_districts();
"""

BACKWARD = """
DROP FUNCTION cases_recount_districts();
CREATE OR REPLACE FUNCTION contacts_district_next_generation() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    clock bigint := (extract(epoch FROM clock_timestamp()) * 1000000)::bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.list_generation := clock;
    ELSE
        NEW.list_generation := GREATEST(OLD.list_generation + 1, clock);
    END IF;
    RETURN NEW;
END
$$;
DROP TRIGGER case_totals_truncate ON cases_case;
DROP TRIGGER case_totals_delete ON cases_case;
DROP TRIGGER case_totals_update ON cases_case;
DROP TRIGGER case_totals_insert ON cases_case;
DROP FUNCTION cases_case_count_changed();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0006_list_generation_triggers"),
        ("contacts", "0003_district_case_count"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
