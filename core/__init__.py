"""The shared kernel: what every app uses and no app owns (errors, the admin's service path).

It holds no models and imports no app of the project, so every app may import it.
"""
