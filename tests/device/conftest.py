from harness_fixtures import bundle_dir, firmware, golden, host_build  # noqa: F401
