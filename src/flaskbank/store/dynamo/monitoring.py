"""The monitoring port on DynamoDB: one `monitoring` table (schema.py, keys in
monitoring_items.py). Every write goes through db.write, so inside a unit of work it joins
its TransactWriteItems (an alert commits with its posting, a profile with the posting that
moved it); each is conditional on the version read, so a stale save is StaleRecord."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from ...domain.errors import StaleRecord, WriteConflict
from ...domain.monitoring.model import (
    Alert,
    AlertStatus,
    Backtest,
    RuleChange,
    StoredProfile,
    StoredRuleSet,
)
from ..alert_json import (
    ALERT_CHANGES,
    BACKTEST_CHANGES,
    alert_fields,
    alert_from_fields,
    backtest_fields,
    backtest_from_fields,
)
from ..base import Page
from . import items as di
from . import monitoring_items as mi
from .alerts import list_alerts
from .client import MAX_UNIT, Connected
from .separate_writes import put_each

#: BatchGetItem takes at most this many keys.
MAX_KEYS = 100


class DynamoMonitoring(Connected):
    def profile(self, user_id: str) -> StoredProfile | None:
        item = self.db.get(self.tables.monitoring, mi.profile_key(user_id))
        return None if item is None else mi.to_profile(item, user_id)

    def save_profile(self, profile: StoredProfile) -> StoredProfile:
        saved = StoredProfile(profile.user_id, profile.data, profile.version + 1)
        item = {**mi.profile_key(profile.user_id), "data": saved.data, "version": saved.version}
        put = mi.conditional_put(self.tables.monitoring, item, profile.version)
        self.db.write(({"Put": put}, StaleRecord("the monitoring profile changed meanwhile")))
        return saved

    def profiles(self, user_ids: Collection[str]) -> dict[str, StoredProfile]:
        table = self.tables.monitoring
        keys = [mi.profile_key(u) for u in dict.fromkeys(user_ids)]
        found: dict[str, StoredProfile] = {}
        for i in range(0, len(keys), MAX_KEYS):
            for item in self.db.batch_get({table: keys[i : i + MAX_KEYS]})[table]:
                profile = mi.to_profile(item, mi.profile_user(item))
                found[profile.user_id] = profile
        return found

    def save_profiles(self, profiles: Sequence[StoredProfile]) -> set[str]:
        table = self.tables.monitoring
        puts = [
            mi.conditional_put(
                table,
                {**mi.profile_key(p.user_id), "data": p.data, "version": p.version + 1},
                p.version,
            )
            for p in profiles
        ]
        written = put_each(self.db, puts)
        return {p.user_id for p, done in zip(profiles, written, strict=True) if not done}

    def rule_set(self) -> StoredRuleSet | None:
        item = self.db.get(self.tables.monitoring, mi.RULE_SET_KEY)
        return None if item is None else mi.to_rule_set(item)

    def save_rule_set(self, rules: StoredRuleSet, changes: Sequence[RuleChange]) -> StoredRuleSet:
        if len(changes) >= MAX_UNIT:
            raise ValueError(f"at most {MAX_UNIT - 1} rule changes in one save")
        t = self.tables.monitoring
        saved = StoredRuleSet(rules.data, rules.version + 1)
        stale = StaleRecord("the rules changed meanwhile")
        item = {**mi.RULE_SET_KEY, "data": saved.data, "version": saved.version}
        self.db.write(
            ({"Put": mi.conditional_put(t, item, rules.version)}, stale),
            *(({"Put": di.put_new(t, mi.change_item(c))}, stale) for c in changes),
        )
        return saved

    def rule_history(self, rule_id: str) -> list[RuleChange]:
        if not di.can_exist({"pk": mi.rule_pk(rule_id)}):
            return []
        return [
            mi.to_change(di.from_wire(i))
            for page in self.db.pages(
                "query",
                TableName=self.tables.monitoring,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues=di.to_wire({":pk": mi.rule_pk(rule_id)}),
                ScanIndexForward=False,
                ConsistentRead=True,
            )
            for i in page.get("Items", [])
        ]

    def add_alert(self, alert: Alert) -> None:
        put = di.put_new(self.tables.monitoring, mi.alert_item(alert))
        self.db.write(({"Put": put}, WriteConflict(f"alert {alert.id} exists already")))

    def add_alerts(self, alerts: Sequence[Alert]) -> set[str]:
        # The condition on absence is the existence check: no read before the write.
        puts = [di.put_new(self.tables.monitoring, mi.alert_item(a)) for a in alerts]
        written = put_each(self.db, puts)
        return {a.id for a, done in zip(alerts, written, strict=True) if done}

    def get_alert(self, alert_id: str) -> Alert | None:
        item = self.db.get(self.tables.monitoring, mi.alert_key(alert_id))
        return None if item is None else alert_from_fields(item)

    def save_alert(self, alert: Alert) -> Alert:
        # `status` is also a key of an index: set with the rest, it moves the alert there.
        fields = {k: v for k, v in alert_fields(alert).items() if k in ALERT_CHANGES}
        update = mi.conditional_update(
            self.tables.monitoring, mi.alert_key(alert.id), fields, alert.version - 1
        )
        self.db.write(({"Update": update}, StaleRecord("the alert changed meanwhile")))
        return alert

    def alerts(
        self,
        *,
        limit: int,
        cursor: str | None = None,
        status: AlertStatus | None = None,
        rule: str | None = None,
        since: str | None = None,
        until: str | None = None,
        customer_id: str | None = None,
    ) -> Page[Alert]:
        return list_alerts(
            self.db,
            limit=limit,
            cursor=cursor,
            status=status,
            rule=rule,
            since=since,
            until=until,
            customer_id=customer_id,
        )

    def add_backtest(self, backtest: Backtest) -> None:
        item = {**mi.backtest_key(backtest.id), **backtest_fields(backtest)}
        put = di.put_new(self.tables.monitoring, item)
        self.db.write(({"Put": put}, WriteConflict(f"backtest {backtest.id} exists already")))

    def get_backtest(self, backtest_id: str) -> Backtest | None:
        item = self.db.get(self.tables.monitoring, mi.backtest_key(backtest_id))
        return None if item is None else backtest_from_fields(item)

    def save_backtest(self, backtest: Backtest) -> Backtest:
        fields = {k: v for k, v in backtest_fields(backtest).items() if k in BACKTEST_CHANGES}
        update = mi.conditional_update(
            self.tables.monitoring, mi.backtest_key(backtest.id), fields, backtest.version - 1
        )
        self.db.write(({"Update": update}, StaleRecord("the backtest changed meanwhile")))
        return backtest
