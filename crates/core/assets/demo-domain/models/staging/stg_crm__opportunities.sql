-- One row per opportunity. Bronze has amounts in US cents and upper-case stages.
with source as (
    select * from {{ source('crm', 'opportunities') }}
)

select
    opportunity_id,
    account_id,
    opportunity_name,
    lower(stage) as stage,
    cast(amount_cents as decimal(18, 2)) / 100 as amount_usd,
    cast(close_date as date) as close_date,
    lower(stage) in ('closed_won', 'closed_lost') as is_closed,
    lower(stage) = 'closed_won' as is_won
from source
