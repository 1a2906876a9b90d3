"""Flask extension objects, created unbound and initialised by create_app()."""

from flask_babel import Babel
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
mail = Mail()  # 8.6 notices by e-mail; sent only by queue workers
# Batch mode lets later migrations alter SQLite tables; compare_type catches column changes.
migrate = Migrate(render_as_batch=True, compare_type=True)
