"""Small pieces every domain shares: errors, money, ids, time, JSON, pagination."""
