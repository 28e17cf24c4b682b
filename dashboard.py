"""Entry point of the social business dashboard: first-run demo data, the shared sidebar filters and page navigation."""
import streamlit as st

from pages import shell

st.set_page_config(page_title="Social business dashboard", page_icon=":material/hub:", layout="wide")

shell.setup()

navigation = st.navigation([
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/adoption.py", title="Adoption", icon=":material/trending_up:"),
    st.Page("pages/coe.py", title="CoE reach", icon=":material/groups:"),
    st.Page("pages/alignment.py", title="Business alignment", icon=":material/target:"),
    st.Page("pages/data.py", title="Data", icon=":material/upload_file:"),
])
navigation.run()
