"""One module per server operation. Each takes an autocommit psycopg connection and a
``Deployment``; the fixed variants own their transactions, the pre-fix ones do not."""
