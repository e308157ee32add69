<?php

/** @generate-class-entries */

namespace RdsSecret {
    /** Thrown when a secret cannot be returned at run time (AWS, credentials, network, cache). */
    class Exception extends \RuntimeException {}
}
