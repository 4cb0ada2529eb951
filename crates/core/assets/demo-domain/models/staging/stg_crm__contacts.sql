-- One row per contact; e-mail addresses arrive with stray case and spaces.
select
    contact_id,
    account_id,
    trim(first_name) as first_name,
    trim(last_name) as last_name,
    lower(trim(email)) as email,
    job_title,
    cast(created_at as date) as created_date
from {{ source('crm', 'contacts') }}
