-- A truck breaking down during the day is a change of the day's plan like the others.
ALTER TABLE plan_changes DROP CONSTRAINT plan_changes_kind_check;
ALTER TABLE plan_changes ADD CONSTRAINT plan_changes_kind_check CHECK (
    kind IN ('add', 'remove', 'move', 'lock', 'unlock', 'urgent', 'approve', 'breakdown')
);
