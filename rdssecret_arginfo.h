/* This is a generated file, edit the .stub.php file instead.
 * Stub hash: b0c2452ad7d37237897543c5023fabe5f6dc298d */

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_rds_secret_password, 0, 0, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, secret_id, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_rds_secret_get, 0, 0, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, secret_id, IS_STRING, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, version_stage, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_rds_secret_refresh, 0, 0, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, secret_id, IS_STRING, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, version_stage, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

#define arginfo_rds_secret_login_failed arginfo_rds_secret_refresh

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_rds_iam_token, 0, 3, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, host, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, port, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, user, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, region, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_rds_iam_token_refresh, 0, 3, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, host, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, port, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, user, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, region, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_rds_secret_metrics, 0, 0, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, format, IS_STRING, 0, "\"openmetrics\"")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_rds_secret_info, 0, 0, IS_ARRAY, 0)
ZEND_END_ARG_INFO()


ZEND_FUNCTION(rds_secret_password);
ZEND_FUNCTION(rds_secret_get);
ZEND_FUNCTION(rds_secret_refresh);
ZEND_FUNCTION(rds_secret_login_failed);
ZEND_FUNCTION(rds_iam_token);
ZEND_FUNCTION(rds_iam_token_refresh);
ZEND_FUNCTION(rds_secret_metrics);
ZEND_FUNCTION(rds_secret_info);


static const zend_function_entry ext_functions[] = {
	ZEND_FE(rds_secret_password, arginfo_rds_secret_password)
	ZEND_FE(rds_secret_get, arginfo_rds_secret_get)
	ZEND_FE(rds_secret_refresh, arginfo_rds_secret_refresh)
	ZEND_FE(rds_secret_login_failed, arginfo_rds_secret_login_failed)
	ZEND_FE(rds_iam_token, arginfo_rds_iam_token)
	ZEND_FE(rds_iam_token_refresh, arginfo_rds_iam_token_refresh)
	ZEND_FE(rds_secret_metrics, arginfo_rds_secret_metrics)
	ZEND_FE(rds_secret_info, arginfo_rds_secret_info)
	ZEND_FE_END
};


static const zend_function_entry class_RdsSecret_Exception_methods[] = {
	ZEND_FE_END
};

static zend_class_entry *register_class_RdsSecret_Exception(zend_class_entry *class_entry_RuntimeException)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "RdsSecret", "Exception", class_RdsSecret_Exception_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_RuntimeException);

	zval const_INTERNAL_value;
	ZVAL_LONG(&const_INTERNAL_value, 1);
	zend_string *const_INTERNAL_name = zend_string_init_interned("INTERNAL", sizeof("INTERNAL") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_INTERNAL_name, &const_INTERNAL_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_INTERNAL_name);

	zval const_CONFIG_value;
	ZVAL_LONG(&const_CONFIG_value, 2);
	zend_string *const_CONFIG_name = zend_string_init_interned("CONFIG", sizeof("CONFIG") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_CONFIG_name, &const_CONFIG_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_CONFIG_name);

	zval const_NO_CREDENTIALS_value;
	ZVAL_LONG(&const_NO_CREDENTIALS_value, 3);
	zend_string *const_NO_CREDENTIALS_name = zend_string_init_interned("NO_CREDENTIALS", sizeof("NO_CREDENTIALS") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_NO_CREDENTIALS_name, &const_NO_CREDENTIALS_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_NO_CREDENTIALS_name);

	zval const_NO_REGION_value;
	ZVAL_LONG(&const_NO_REGION_value, 4);
	zend_string *const_NO_REGION_name = zend_string_init_interned("NO_REGION", sizeof("NO_REGION") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_NO_REGION_name, &const_NO_REGION_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_NO_REGION_name);

	zval const_CONNECT_value;
	ZVAL_LONG(&const_CONNECT_value, 5);
	zend_string *const_CONNECT_name = zend_string_init_interned("CONNECT", sizeof("CONNECT") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_CONNECT_name, &const_CONNECT_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_CONNECT_name);

	zval const_TIMEOUT_value;
	ZVAL_LONG(&const_TIMEOUT_value, 6);
	zend_string *const_TIMEOUT_name = zend_string_init_interned("TIMEOUT", sizeof("TIMEOUT") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_TIMEOUT_name, &const_TIMEOUT_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_TIMEOUT_name);

	zval const_TLS_value;
	ZVAL_LONG(&const_TLS_value, 7);
	zend_string *const_TLS_name = zend_string_init_interned("TLS", sizeof("TLS") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_TLS_name, &const_TLS_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_TLS_name);

	zval const_TOO_LARGE_value;
	ZVAL_LONG(&const_TOO_LARGE_value, 8);
	zend_string *const_TOO_LARGE_name = zend_string_init_interned("TOO_LARGE", sizeof("TOO_LARGE") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_TOO_LARGE_name, &const_TOO_LARGE_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_TOO_LARGE_name);

	zval const_MALFORMED_value;
	ZVAL_LONG(&const_MALFORMED_value, 9);
	zend_string *const_MALFORMED_name = zend_string_init_interned("MALFORMED", sizeof("MALFORMED") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_MALFORMED_name, &const_MALFORMED_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_MALFORMED_name);

	zval const_THROTTLED_value;
	ZVAL_LONG(&const_THROTTLED_value, 10);
	zend_string *const_THROTTLED_name = zend_string_init_interned("THROTTLED", sizeof("THROTTLED") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_THROTTLED_name, &const_THROTTLED_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_THROTTLED_name);

	zval const_SERVICE_value;
	ZVAL_LONG(&const_SERVICE_value, 11);
	zend_string *const_SERVICE_name = zend_string_init_interned("SERVICE", sizeof("SERVICE") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_SERVICE_name, &const_SERVICE_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_SERVICE_name);

	zval const_ACCESS_DENIED_value;
	ZVAL_LONG(&const_ACCESS_DENIED_value, 12);
	zend_string *const_ACCESS_DENIED_name = zend_string_init_interned("ACCESS_DENIED", sizeof("ACCESS_DENIED") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_ACCESS_DENIED_name, &const_ACCESS_DENIED_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_ACCESS_DENIED_name);

	zval const_AUTH_value;
	ZVAL_LONG(&const_AUTH_value, 13);
	zend_string *const_AUTH_name = zend_string_init_interned("AUTH", sizeof("AUTH") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_AUTH_name, &const_AUTH_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_AUTH_name);

	zval const_NOT_FOUND_value;
	ZVAL_LONG(&const_NOT_FOUND_value, 14);
	zend_string *const_NOT_FOUND_name = zend_string_init_interned("NOT_FOUND", sizeof("NOT_FOUND") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_NOT_FOUND_name, &const_NOT_FOUND_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_NOT_FOUND_name);

	zval const_INVALID_PARAMETER_value;
	ZVAL_LONG(&const_INVALID_PARAMETER_value, 15);
	zend_string *const_INVALID_PARAMETER_name = zend_string_init_interned("INVALID_PARAMETER", sizeof("INVALID_PARAMETER") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_INVALID_PARAMETER_name, &const_INVALID_PARAMETER_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_INVALID_PARAMETER_name);

	zval const_INVALID_REQUEST_value;
	ZVAL_LONG(&const_INVALID_REQUEST_value, 16);
	zend_string *const_INVALID_REQUEST_name = zend_string_init_interned("INVALID_REQUEST", sizeof("INVALID_REQUEST") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_INVALID_REQUEST_name, &const_INVALID_REQUEST_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_INVALID_REQUEST_name);

	zval const_DECRYPTION_value;
	ZVAL_LONG(&const_DECRYPTION_value, 17);
	zend_string *const_DECRYPTION_name = zend_string_init_interned("DECRYPTION", sizeof("DECRYPTION") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_DECRYPTION_name, &const_DECRYPTION_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_DECRYPTION_name);

	zval const_CONFLICT_value;
	ZVAL_LONG(&const_CONFLICT_value, 18);
	zend_string *const_CONFLICT_name = zend_string_init_interned("CONFLICT", sizeof("CONFLICT") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_CONFLICT_name, &const_CONFLICT_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_CONFLICT_name);

	zval const_REQUEST_FAILED_value;
	ZVAL_LONG(&const_REQUEST_FAILED_value, 19);
	zend_string *const_REQUEST_FAILED_name = zend_string_init_interned("REQUEST_FAILED", sizeof("REQUEST_FAILED") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_REQUEST_FAILED_name, &const_REQUEST_FAILED_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_REQUEST_FAILED_name);

	zval const_CACHE_FULL_value;
	ZVAL_LONG(&const_CACHE_FULL_value, 20);
	zend_string *const_CACHE_FULL_name = zend_string_init_interned("CACHE_FULL", sizeof("CACHE_FULL") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_CACHE_FULL_name, &const_CACHE_FULL_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_CACHE_FULL_name);

	zval const_STALE_LIMIT_value;
	ZVAL_LONG(&const_STALE_LIMIT_value, 21);
	zend_string *const_STALE_LIMIT_name = zend_string_init_interned("STALE_LIMIT", sizeof("STALE_LIMIT") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_STALE_LIMIT_name, &const_STALE_LIMIT_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_STALE_LIMIT_name);

	zval const_NOT_ALLOWED_value;
	ZVAL_LONG(&const_NOT_ALLOWED_value, 22);
	zend_string *const_NOT_ALLOWED_name = zend_string_init_interned("NOT_ALLOWED", sizeof("NOT_ALLOWED") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_NOT_ALLOWED_name, &const_NOT_ALLOWED_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_NOT_ALLOWED_name);

	zval const_UNSUPPORTED_value;
	ZVAL_LONG(&const_UNSUPPORTED_value, 23);
	zend_string *const_UNSUPPORTED_name = zend_string_init_interned("UNSUPPORTED", sizeof("UNSUPPORTED") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_UNSUPPORTED_name, &const_UNSUPPORTED_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_UNSUPPORTED_name);

	zval const_DISABLED_value;
	ZVAL_LONG(&const_DISABLED_value, 24);
	zend_string *const_DISABLED_name = zend_string_init_interned("DISABLED", sizeof("DISABLED") - 1, 1);
	zend_declare_class_constant_ex(class_entry, const_DISABLED_name, &const_DISABLED_value, ZEND_ACC_PUBLIC, NULL);
	zend_string_release(const_DISABLED_name);

	return class_entry;
}
