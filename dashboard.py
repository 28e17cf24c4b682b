"""Entry point of the social business dashboard: page navigation and first-run demo data."""
import streamlit as st

from pages import shell

st.set_page_config(page_title="Social business dashboard", page_icon=":material/hub:", layout="wide")

shell.ensure_demo_loaded()

navigation = st.navigation([
    st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    st.Page("pages/data.py", title="Data", icon=":material/upload_file:"),
])
navigation.run()
