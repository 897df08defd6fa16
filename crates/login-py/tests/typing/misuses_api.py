"""Must FAIL `mypy --strict`: proves the types are real, not Any (xtask checks the two errors)."""

import aws_login

key: int = aws_login.get_credentials("dev").access_key  # str is not int
aws_login.get_credentials(profile=42)  # profile is Optional[str]
