"""A replicated PostgreSQL topology on one machine, run by pg_auto_failover: a monitor, a primary,
a synchronous standby and read replicas, each node a `pg_autoctl` keeper on its own port."""
