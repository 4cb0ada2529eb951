{# a Jinja comment with {{ ref('not_a_dependency') }} #}
select
    id as order_id,
    customer_id,
    amount,
    status
from {{ source('shop', 'raw_orders') }}
-- a SQL comment: ref('still_not_a_dependency')
