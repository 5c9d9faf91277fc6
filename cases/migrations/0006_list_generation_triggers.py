"""Keep ``contacts_district.list_generation`` moving whenever anything a district's case list shows changes.

The case-list cache (cases/listcache.py) keys every stored page on the generations of the districts it
shows, so a change must move them in the same transaction as the change itself, whatever wrote it: a
service, the admin, a scheduled job's bulk UPDATE or a hand-typed SQL statement. That is why these are
triggers and not Python signals (queryset ``update()`` sends none).

- A generation is a clock reading in microseconds, and any UPDATE of a district row moves it past both the
  old value and the clock, whatever the statement wrote into the column (a Django ``save()`` writes back the
  value it loaded). So a generation never goes back and never repeats, not even after ``flush`` or a restored
  backup: a stored list can never be mistaken for one of a later database state.
- INSERT, UPDATE and DELETE of cases move the generations of every district they touched (before and
  after), once per statement, locking the district rows in id order so two bulk statements cannot deadlock
  each other on them. An UPDATE counts only for rows where a column the list shows, filters, searches or
  sorts on changed value (cases/tests/test_listing_cache.py derives those columns from the list's own and
  changes each one): a job that records a due date or a first response leaves every stored list valid.
- A change to a contact's name or e-mail address (the Contact column and filter) moves every district, once
  per statement: renames are rare, and a case for the contact may be being written, still invisible, in a
  district where they had none; taking every district's row waits for such writes.
- Any change to modules (the Module column and filter choices) moves every district.

Lock order: district rows are always taken in id order within a statement. A transaction that writes cases of
several districts in separate statements, or renames a contact after writing cases, can deadlock with another
doing the same in the opposite order; PostgreSQL then aborts one of them. Services write one case per
transaction.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION contacts_district_next_generation() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER district_next_generation BEFORE INSERT OR UPDATE ON contacts_district
    FOR EACH ROW EXECUTE FUNCTION contacts_district_next_generation();

CREATE FUNCTION cases_bump_list_generations(ids bigint[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM contacts_district WHERE id = ANY(ids) ORDER BY id FOR NO KEY UPDATE;
    UPDATE contacts_district SET list_generation = list_generation + 1 WHERE id = ANY(ids);
END
$$;

CREATE FUNCTION cases_case_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT district_id) INTO ids FROM new_rows;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT district_id) INTO ids FROM old_rows;
    ELSE
        -- Only rows where something the list shows, filters, searches or sorts on changed value.
        SELECT array_agg(DISTINCT touched.district_id) INTO ids
        FROM old_rows o
        JOIN new_rows n ON n.id = o.id
        CROSS JOIN LATERAL (VALUES (o.district_id), (n.district_id)) AS touched (district_id)
        WHERE (o.number, o.district_id, o.contact_id, o.subject, o.status, o.priority, o.module_id, o.case_type,
               o.updated_at, o.closed_at, o.search_vector)
              IS DISTINCT FROM
              (n.number, n.district_id, n.contact_id, n.subject, n.status, n.priority, n.module_id, n.case_type,
               n.updated_at, n.closed_at, n.search_vector);
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM cases_bump_list_generations(ids);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER case_list_insert AFTER INSERT ON cases_case
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_case_list_changed();
CREATE TRIGGER case_list_update AFTER UPDATE ON cases_case
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_case_list_changed();
CREATE TRIGGER case_list_delete AFTER DELETE ON cases_case
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_case_list_changed();

-- Renames are rare, and which districts show a contact cannot be known safely: a case for them may be being
-- written, uncommitted and invisible here, in a district they never had a case in. So a rename moves every
-- district, and waits for every district's case writes in flight.
CREATE FUNCTION contacts_user_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE (o.first_name, o.last_name, o.email) IS DISTINCT FROM (n.first_name, n.last_name, n.email)
    ) THEN
        PERFORM cases_bump_list_generations(ARRAY(SELECT id FROM contacts_district));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER user_list_names AFTER UPDATE ON contacts_user
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION contacts_user_list_changed();

CREATE FUNCTION cases_module_list_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed boolean;
BEGIN
    IF TG_OP = 'INSERT' THEN
        changed := EXISTS (SELECT 1 FROM new_rows);
    ELSIF TG_OP = 'DELETE' THEN
        changed := EXISTS (SELECT 1 FROM old_rows);
    ELSE
        changed := EXISTS (SELECT 1 FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o IS DISTINCT FROM n);
    END IF;
    IF changed THEN
        PERFORM cases_bump_list_generations(ARRAY(SELECT id FROM contacts_district));
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER module_list_insert AFTER INSERT ON cases_module
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_module_list_changed();
CREATE TRIGGER module_list_update AFTER UPDATE ON cases_module
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_module_list_changed();
CREATE TRIGGER module_list_delete AFTER DELETE ON cases_module
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION cases_module_list_changed();
"""

BACKWARD = """
DROP TRIGGER module_list_delete ON cases_module;
DROP TRIGGER module_list_update ON cases_module;
DROP TRIGGER module_list_insert ON cases_module;
DROP FUNCTION cases_module_list_changed();
DROP TRIGGER user_list_names ON contacts_user;
DROP FUNCTION contacts_user_list_changed();
DROP TRIGGER case_list_delete ON cases_case;
DROP TRIGGER case_list_update ON cases_case;
DROP TRIGGER case_list_insert ON cases_case;
DROP FUNCTION cases_case_list_changed();
DROP FUNCTION cases_bump_list_generations(bigint[]);
DROP TRIGGER district_next_generation ON contacts_district;
DROP FUNCTION contacts_district_next_generation();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0005_drop_redundant_district_index"),
        ("contacts", "0002_district_list_generation"),
    ]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
