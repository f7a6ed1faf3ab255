from harness_fixtures import bundle_dir, golden, host_build  # noqa: F401
