<?php
/* tests/iam/run: rds_secret_info()'s IAM tokens, as the host's workers see them (never a token). */
header('Content-Type: application/json');
echo json_encode(rds_secret_info()['iam_tokens']);
