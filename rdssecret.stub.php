<?php

/** @generate-class-entries */

namespace {
    /**
     * The password of the secret (its "password" field, or the whole SecretString when that is not a JSON
     * object), from the host-wide cache.
     */
    function rds_secret_password(?string $secret_id = null): string {}

    /**
     * Every field of the secret as strings, all from one version.
     * @return array<string, string>
     */
    function rds_secret_get(?string $secret_id = null, ?string $version_stage = null): array {}

    /**
     * Replace the copy this request holds (a database refused it) with a newer one, bypassing the TTL;
     * rate-limited per secret and stage across the host. True when the request's next read gets a newer copy.
     */
    function rds_secret_refresh(?string $secret_id = null, ?string $version_stage = null): bool {}

    /**
     * The database refused the credentials this request read: logged (host-wide, at most once a minute per secret,
     * naming the version, never a value), counted, and the copy replaced as rds_secret_refresh() does.
     */
    function rds_secret_login_failed(?string $secret_id = null, ?string $version_stage = null): bool {}

    /**
     * An IAM authentication token for the database account $user@$host:$port (the password of an IAM-enabled
     * RDS user), from the host-wide cache: minted locally with the instance's credentials, renewed before it runs
     * short, never served expired. Only the accounts in rdssecret.iam_allowed.
     */
    function rds_iam_token(string $host, int $port, string $user, ?string $region = null): string {}

    /**
     * The database refused the token: sign a new one (credentials fetched again), rate-limited across the host.
     * True when the next rds_iam_token() call gets a newer token.
     */
    function rds_iam_token_refresh(string $host, int $port, string $user, ?string $region = null): bool {}

    /**
     * The cache's counters and gauges for this pool's secrets and tokens, in OpenMetrics text ("openmetrics") or
     * Prometheus' text format ("prometheus", for node_exporter's textfile collector); never a value.
     */
    function rds_secret_metrics(string $format = "openmetrics"): string {}

    /** Cache and health state for monitoring; never a secret value. */
    function rds_secret_info(): array {}
}

namespace RdsSecret {
    /** Thrown when a secret cannot be returned at run time (AWS, credentials, network, cache). */
    class Exception extends \RuntimeException
    {
        /** @var int */
        public const INTERNAL = 1;
        /** @var int */
        public const CONFIG = 2;
        /** @var int */
        public const NO_CREDENTIALS = 3;
        /** @var int */
        public const NO_REGION = 4;
        /** @var int */
        public const CONNECT = 5;
        /** @var int */
        public const TIMEOUT = 6;
        /** @var int */
        public const TLS = 7;
        /** @var int */
        public const TOO_LARGE = 8;
        /** @var int */
        public const MALFORMED = 9;
        /** @var int */
        public const THROTTLED = 10;
        /** @var int */
        public const SERVICE = 11;
        /** @var int */
        public const ACCESS_DENIED = 12;
        /** @var int */
        public const AUTH = 13;
        /** @var int */
        public const NOT_FOUND = 14;
        /** @var int */
        public const INVALID_PARAMETER = 15;
        /** @var int */
        public const INVALID_REQUEST = 16;
        /** @var int */
        public const DECRYPTION = 17;
        /** @var int */
        public const CONFLICT = 18;
        /** @var int */
        public const REQUEST_FAILED = 19;
        /** @var int */
        public const CACHE_FULL = 20;
        /** @var int */
        public const STALE_LIMIT = 21;
        /** @var int */
        public const NOT_ALLOWED = 22;
        /** @var int */
        public const UNSUPPORTED = 23;
        /** @var int */
        public const DISABLED = 24;
    }
}
