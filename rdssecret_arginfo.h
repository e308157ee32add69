/* This is a generated file, edit the .stub.php file instead.
 * Stub hash: 38bec52f0c05f59a071e709409b4e435328d3466 */




static const zend_function_entry class_RdsSecret_Exception_methods[] = {
	ZEND_FE_END
};

static zend_class_entry *register_class_RdsSecret_Exception(zend_class_entry *class_entry_RuntimeException)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "RdsSecret", "Exception", class_RdsSecret_Exception_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_RuntimeException);

	return class_entry;
}
