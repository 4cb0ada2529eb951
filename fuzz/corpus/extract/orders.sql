{{ config(materialized='table') }}
select o.order_id, o.customer_id, o.amount, c.country, d.day
from {{ ref('stg_orders') }} as o
join {{ ref('dim_customers', v=1) }} as c1 on c1.customer_id = o.customer_id
join {{ ref('dim_customers') }} as c on c.customer_id = o.customer_id
cross join {{ ref('synth_utils', 'util_calendar') }} as d
