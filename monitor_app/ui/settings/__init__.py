"""Settings: threshold profiles, monitoring schedules, clinic details and user accounts."""
