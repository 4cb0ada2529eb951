-- One row per account, cleaned from bronze.
select
    account_id,
    trim(account_name) as account_name,
    lower(industry) as industry,
    upper(country_code) as country_code,
    cast(annual_revenue as bigint) as annual_revenue_usd,
    cast(created_at as date) as created_date
from {{ source('crm', 'accounts') }}
