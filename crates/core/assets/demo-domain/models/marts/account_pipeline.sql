-- One row per account: open pipeline and won revenue.
with opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

per_account as (
    select
        account_id,
        count(*) as opportunity_count,
        sum(case when not is_closed then amount_usd else 0 end) as open_pipeline_usd,
        sum(case when is_won then amount_usd else 0 end) as won_revenue_usd
    from opportunities
    group by account_id
)

select
    accounts.account_id,
    accounts.account_name,
    accounts.industry,
    coalesce(per_account.opportunity_count, 0) as opportunity_count,
    cast(coalesce(per_account.open_pipeline_usd, 0) as decimal(18, 2)) as open_pipeline_usd,
    cast(coalesce(per_account.won_revenue_usd, 0) as decimal(18, 2)) as won_revenue_usd
from {{ ref('stg_crm__accounts') }} as accounts
left join per_account on per_account.account_id = accounts.account_id
