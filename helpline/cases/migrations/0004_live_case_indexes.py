from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0003_case_handlers'),
        ('contacts', '0006_service_code_list'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('status__in', ('active', 'open', 'pending_closure', 'reopened'))), fields=['risk', '-opened_at'], name='case_live_risk_opened'),
        ),
        migrations.AddIndex(
            model_name='case',
            index=models.Index(condition=models.Q(('status__in', ('active', 'open', 'pending_closure', 'reopened'))), fields=['last_touch_at'], name='case_live_touch'),
        ),
    ]
